package dev.panflow.cli;

import dev.panflow.api.DataSets;
import dev.panflow.api.Flow;
import dev.panflow.api.LikelihoodRequest;
import dev.panflow.api.Likelihoods;
import dev.panflow.api.LoadOptions;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.Samples;
import dev.panflow.api.TrainResult;
import dev.panflow.api.Trainer;
import dev.panflow.data.Dequantize;
import dev.panflow.data.FashionMnist;
import dev.panflow.io.ImageGrid;
import dev.panflow.ode.SolverKind;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The paths comparison on Fashion-MNIST (the image half of {@code experiment paths}): the same
 * U-Net trained with each path, then test bits per dimension (Hutchinson divergence, dopri5 at the
 * tolerance), dopri5 NFE when sampling, and the error of fixed-NFE Euler/midpoint/RK4 samples
 * against the dopri5 samples from the same noise (RMS per pixel, on the [−1, 1] scale).
 */
final class ImagePathsExperiment {
    record Settings(List<String> paths, long steps, int batch, float lr, int[] channels, String backend, int test, int eval,
                    List<Integer> nfe, double tol, long seed, Path out, int threads, ProgressOptions progress,
                    picocli.CommandLine.Model.CommandSpec spec) {}

    private static final int SNAP_SAMPLES = 4;

    private ImagePathsExperiment() {}

    static String run(Settings s) throws IOException {
        StringBuilder summary = new StringBuilder(), solvers = new StringBuilder();
        summary.append("| path | test bits/dim (Hutchinson) | NFE of that solve | dopri5 NFE, sampling | final loss | train s |\n|---|---|---|---|---|---|\n");
        solvers.append("| path | solver | NFE | RMS error vs dopri5 (per pixel) |\n|---|---|---|---|\n");
        List<Path> rowsPng = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) {
            FashionMnist test = FashionMnist.load(FashionMnist.dir(), "test", arena);
            int dim = test.dim(), c = test.channels(), h = test.height(), w = test.width();
            if (s.test() > test.size())
                throw new dev.panflow.UserError("--test " + s.test() + " is more than the " + test.size() + " test images");
            // EMA window ~ a fifth of the run: a short run's EMA must not be dominated by its first steps
            float ema = (float) Math.max(0.9, Math.min(0.999, 1 - 5.0 / s.steps()));
            for (String name : s.paths()) {
                Path dir = s.out().resolve(name);
                long t0 = System.nanoTime();
                TrainResult tr = train(s, name, ema, dir);
                double trainSeconds = (System.nanoTime() - t0) * 1e-9;
                LoadOptions opts = LoadOptions.defaults().backend(s.backend()).threads(s.threads()).maxConcurrentCalls(1);
                try (Flow flow = Flow.load(tr.checkpoint(), opts)) {
                    // Test bits/dim: the first `test` held-out images, dequantized; one Rademacher probe per image.
                    Tensor x = Tensor.allocate(arena, s.test(), dim);
                    MemorySegment.copy(test.images().segment(), 0, x.segment(), 0, 4L * s.test() * dim);
                    Dequantize.applyToScaled(x.segment(), x.size(), new Rng(s.seed() ^ 0x5DEECE66DL));
                    Likelihoods nll = ExperimentCommand.PathsExperiment.nll(flow, "nll " + name, x.segment(), s.test(), LikelihoodRequest.defaults()
                            .hutchinson(1, false).seed(s.seed()).tolerances(s.tol(), s.tol()).batch(s.test()), s.progress());
                    double bpd = Dequantize.bitsPerDim(nll.mean(), dim), bpdSe = nll.standardError() / (dim * Math.log(2));

                    // Samples: dopri5 as the reference, then fixed-NFE solvers from the same noise.
                    SampleRequest req = SampleRequest.of(s.eval()).seed(s.seed() + 1).tolerances(s.tol(), s.tol());
                    Samples ref = ExperimentCommand.PathsExperiment.sample(flow, "sample " + name + " dopri5", req.solver(SolverKind.DOPRI5), s.progress());
                    ImageGrid.writePng(dir.resolve("samples-dopri5.png"), MemorySegment.ofArray(ref.values()), Math.min(64, s.eval()), c, h, w, 8, 2);
                    summary.append(String.format(Locale.ROOT, "| %s | %.3f ± %.3f | %d | %d | %.1f | %.0f |%n", name, bpd, bpdSe,
                            nll.nfe(), ref.nfe(), tr.finalLoss(), trainSeconds));
                    for (int k : s.nfe())
                        for (SolverKind solver : ExperimentCommand.PathsExperiment.FIXED_NFE_SOLVERS) {
                            int steps = k / ExperimentCommand.PathsExperiment.evaluationsPerStep(solver);
                            Samples r = ExperimentCommand.PathsExperiment.sample(flow, "sample " + name + " " + solver.id(), req.solver(solver).steps(steps), s.progress());
                            solvers.append(String.format(Locale.ROOT, "| %s | %s | %d | %.4f |%n", name, solver.id(), r.nfe(),
                                    rms(r.values(), ref.values())));
                        }
                    System.err.printf("%s: %.3f ± %.3f bits/dim (NFE %d), dopri5 sampling NFE %d%n", name, bpd, bpdSe, nll.nfe(), ref.nfe());
                    rowsPng.add(snapshots(flow, dir.resolve("snapshots.png"), s.seed(), c, h, w));
                }
            }
        }
        String md = String.format(Locale.ROOT, "Fashion-MNIST, U-Net %s, batch %d, %d steps per path, seed %d; bits/dim on the first %d"
                        + " test images (dopri5 at %.0e, one Rademacher probe each), sample errors on %d samples.%n%n",
                joined(s.channels()), s.batch(), s.steps(), s.seed(), s.test(), s.tol(), s.eval()) + summary + "\n" + solvers;
        Files.writeString(s.out().resolve("paths.md"), md);
        ExperimentCommand.PathsExperiment.stack(rowsPng, s.out().resolve("paths.png"));
        return md;
    }

    /** The U-Net trained with path {@code name}, its checkpoint and run log in {@code dir}. */
    private static TrainResult train(Settings s, String name, float ema, Path dir) {
        try (Trainer tr = Trainer.builder().data(DataSets.builtIn("fashion-mnist")).path(name).unet(s.channels()).groups(8)
                .labelDropout(0f).batch(s.batch()).steps(s.steps()).lr(s.lr()).warmup(Math.min(100, s.steps())).ema(ema)
                .seed(s.seed()).checkpointEvery(0).backend(s.backend()).threads(s.threads()).out(dir).build()) {
            TrainProgress progress = new TrainProgress("train " + name, s.steps(), 0, s.batch(), "images", s.progress());
            return progress.run(tr, RunLog.start(dir, "experiment paths", s.spec(), ExperimentCommand.PathsExperiment.pathFacts(tr, s.steps(), s.batch(), s.seed())));
        }
    }

    /** Samples at t = 0, ¼, ½, ¾, 1 of t_max (RK4, 10 steps per quarter): one row per sample, one column per time. */
    private static Path snapshots(Flow flow, Path png, long seed, int c, int h, int w) {
        double[] fractions = ExperimentCommand.PathsExperiment.FRACTIONS;
        int n = SNAP_SAMPLES, dim = c * h * w, times = fractions.length;
        List<float[]> at = flow.trajectory(SampleRequest.of(n).solver(SolverKind.RK4).steps(10).seed(seed + 5), fractions);
        float[] grid = new float[n * times * dim];
        for (int i = 0; i < times; i++)
            for (int r = 0; r < n; r++) System.arraycopy(at.get(i), r * dim, grid, (r * times + i) * dim, dim);
        ImageGrid.writePng(png, MemorySegment.ofArray(grid), n * times, c, h, w, times, 2);
        return png;
    }

    static double rms(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return Math.sqrt(s / a.length);
    }

    private static String joined(int[] c) {
        StringBuilder b = new StringBuilder();
        for (int v : c) b.append(b.isEmpty() ? "" : ",").append(v);
        return b.toString();
    }
}
