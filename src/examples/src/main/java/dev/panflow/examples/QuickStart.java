package dev.panflow.examples;

import dev.panflow.api.DataSets;
import dev.panflow.api.Flow;
import dev.panflow.api.ProgressListener;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.TrainResult;
import dev.panflow.api.Trainer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Panflow as a library, start to end: train a small flow on the 2-D checkerboard, load the
 * checkpoint, sample it (also from several threads at once) and compute log-likelihoods.
 *
 * <p>Run it with the JVM flags Panflow needs:
 * {@code java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp ... dev.panflow.examples.QuickStart [DIR]}
 * (DIR receives model.safetensors; default: a new temporary folder).
 */
public final class QuickStart {
    /** What the run found, for callers (and the test) to check. */
    public record Result(Path checkpoint, int samples, int threadsSampling, boolean concurrentMatchesSequential,
                         double meanLogLikelihoodOnData, double meanLogLikelihoodFarAway) {}

    public static void main(String[] args) throws Exception {
        Path out = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("panflow-quickstart");
        run(out, System.out);
    }

    public static Result run(Path out, PrintStream log) throws Exception {
        // 1. Train. The builder takes every option of `panflow train`; these keep it to a few seconds.
        //    The trainer owns off-heap buffers and the data: close it (try-with-resources).
        TrainResult trained;
        try (Trainer trainer = Trainer.builder()
                .data(DataSets.builtIn("checkerboard"))
                .path("ot")                 // straight conditional paths (OT-CFM)
                .mlp(64, 2)                 // velocity field: 2 hidden layers of width 64
                .batch(256).steps(300).seed(0)
                .out(out)                   // writes out/model.safetensors
                .build()) {
            trained = trainer.run(new ProgressListener() {
                @Override
                public void onStep(long step, long total, double loss, double smoothedLoss) {
                    // called on the training thread after every step: keep it cheap
                    if (step % 100 == 0) log.printf("step %d/%d  loss %.4f%n", step, total, smoothedLoss);
                }
            });
        }
        log.printf("trained %d steps; checkpoint %s%n", trained.step(), trained.checkpoint());

        // 2. Load the checkpoint (EMA weights by default) and sample. Same request, same points.
        try (Flow flow = Flow.load(trained.checkpoint())) {
            SampleRequest request = SampleRequest.of(2000).solver("rk4").steps(20).seed(42);
            float[][] x = flow.sample(request);
            log.printf("sampled %d points of dim %d, e.g. (%.3f, %.3f)%n", x.length, x[0].length, x[0][0], x[0][1]);

            // 3. One Flow serves many threads at once (as behind a server); each call's points depend
            //    only on its request and seed, not on what else runs.
            int threads = 4;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<float[][]>> calls = new ArrayList<>();
            try {
                for (int i = 0; i < threads; i++) {
                    long seed = 40 + i; // seed 42 is among them
                    calls.add(pool.submit(() -> flow.sample(request.n(500).seed(seed))));
                }
                for (Future<float[][]> c : calls) c.get();
            } finally {
                pool.shutdown();
            }
            boolean same = Arrays.deepEquals(calls.get(2).get(), flow.sample(request.n(500).seed(42)));
            log.printf("%d threads sampled at once; seed 42 gave the same points as alone: %b%n", threads, same);

            // 4. Log-likelihoods (nats): high on the data, far lower off it (the board is [-4, 4]²).
            float[][] onData = Arrays.copyOf(x, 200);
            float[][] farAway = new float[200][];
            for (int i = 0; i < farAway.length; i++) {
                double a = 2 * Math.PI * i / farAway.length;
                farAway[i] = new float[] {(float) (12 * Math.cos(a)), (float) (12 * Math.sin(a))};
            }
            double on = mean(flow.logLikelihood(onData)), far = mean(flow.logLikelihood(farAway));
            log.printf("mean log p: %.3f on samples, %.3f at radius 12%n", on, far);
            return new Result(trained.checkpoint(), x.length, threads, same, on, far);
        }
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }
}
