package dev.panflow.cli;

import dev.panflow.api.DataSets;
import dev.panflow.api.FeatureTrainingOptions;
import dev.panflow.api.Flow;
import dev.panflow.api.ImageFeatures;
import dev.panflow.api.ImageQuality;
import dev.panflow.api.ImageScores;
import dev.panflow.api.LoadOptions;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.Samples;
import dev.panflow.api.TrainResult;
import dev.panflow.api.Trainer;
import dev.panflow.api.TrainingData;
import dev.panflow.io.AtomicFiles;
import dev.panflow.io.ImageGrid;
import dev.panflow.ode.SolverKind;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The few-step comparison on Fashion-MNIST (the image half of {@code experiment fewstep}): the
 * same small unconditional U-Net trained for the same wall time with each objective (cfm,
 * meanflow, shortcut), then FID of each sampler on Panflow's feature network against the test
 * images, beside the floor of as many real training images. Reflow is left out (its dopri5 pairs
 * alone would cost more than a method's budget here).
 */
final class ImageFewStepExperiment {
    record Settings(Duration budget, int batch, float lr, int[] channels, String backend, int eval, double tol, Path features,
                    long seed, Path out, int threads, ProgressOptions progress) {}

    private static final int GRID_COLUMNS = 10;

    private ImageFewStepExperiment() {}

    static String run(Settings s) throws IOException {
        Files.createDirectories(s.out());
        StringBuilder table = new StringBuilder("| method | sampler | NFE | FID | KID | train s | train steps | sample s |\n|---|---|---|---|---|---|---|---|\n");
        List<float[]> gridRows = new ArrayList<>();
        List<String> gridTitles = new ArrayList<>();
        String accuracy;
        ImageScores floor = null;
        try (TrainingData ref = DataSets.open("fashion-mnist-test", 0); TrainingData floorData = DataSets.open("fashion-mnist", 0);
             ImageFeatures net = features(s)) {
            accuracy = String.format(Locale.ROOT, "%.2f %%", 100 * net.testAccuracy());
            for (String objective : new String[] {"cfm", "meanflow", "shortcut"}) {
                long t0 = System.nanoTime();
                TrainResult tr = train(s, objective, s.out().resolve(objective));
                double trainSeconds = (System.nanoTime() - t0) * 1e-9;
                LoadOptions opts = LoadOptions.defaults().backend(s.backend()).threads(s.threads()).maxConcurrentCalls(1);
                try (Flow flow = Flow.load(tr.checkpoint(), opts)) {
                    List<SampleRequest> reqs = new ArrayList<>();
                    SampleRequest base = SampleRequest.of(s.eval()).seed(s.seed() + 1);
                    for (int k : FewStepExperiment.FEW) reqs.add(base.solver(SolverKind.EULER).steps(k));
                    if (objective.equals("cfm")) {
                        reqs.add(base.solver(SolverKind.MIDPOINT).steps(2));
                        reqs.add(base.solver(SolverKind.DOPRI5).tolerances(s.tol(), s.tol()));
                    }
                    for (SampleRequest req : reqs) {
                        String solver = req.solver() == SolverKind.DOPRI5 ? String.format(Locale.ROOT, "dopri5 (%.0e)", s.tol())
                                : objective.equals("cfm") ? req.solver().id() : "jump";
                        Samples smp = ExperimentCommand.PathsExperiment.sample(flow, "sample " + objective + " " + solver, req, s.progress());
                        ImageScores r = ImageQuality.score(net, MemorySegment.ofArray(smp.values()), s.eval(), ref, floorData, s.seed());
                        floor = r;
                        table.append(String.format(Locale.ROOT, "| %s | %s | %d | %.2f | %.4f | %.0f | %d | %.2f |%n", objective, solver,
                                smp.nfe(), r.fid(), r.kid().mean(), trainSeconds, tr.step(), smp.seconds()));
                        System.err.printf(Locale.ROOT, "%s %s NFE %d: FID %.2f%n", objective, solver, smp.nfe(), r.fid());
                        if (req.solver() == SolverKind.EULER && req.steps() == 1 || req.solver() == SolverKind.DOPRI5) {
                            gridRows.add(java.util.Arrays.copyOf(smp.values(), GRID_COLUMNS * net.imageDim()));
                            gridTitles.add(objective + " " + solver + " NFE " + smp.nfe());
                        }
                    }
                }
            }
            table.append(String.format(Locale.ROOT, "| real floor: %d training images | – | – | %.2f | %.4f | – | – | – |%n",
                    s.eval(), floor.floorFid(), floor.floorKid().mean()));
            int[] c = net.imageShape();
            int dim = net.imageDim();
            float[] grid = new float[gridRows.size() * GRID_COLUMNS * dim];
            for (int i = 0; i < gridRows.size(); i++) System.arraycopy(gridRows.get(i), 0, grid, i * GRID_COLUMNS * dim, GRID_COLUMNS * dim);
            ImageGrid.writePng(s.out().resolve("fewstep.png"), MemorySegment.ofArray(grid), gridRows.size() * GRID_COLUMNS,
                    c[0], c[1], c[2], GRID_COLUMNS, 2);
        }
        String md = String.format(Locale.ROOT, "Fashion-MNIST, unconditional U-Net %s, batch %d, lr %s, %s of training per method, seed %d, %d threads;"
                        + " FID and KID (features: %s, test accuracy %s) of %d samples against the 10 000 test images. Reflow: not run on images."
                        + " Picture rows (fewstep.png, top to bottom): %s.%n%n",
                joined(s.channels()), s.batch(), s.lr(), Durations.format(s.budget()), s.seed(), s.threads(),
                s.features() != null ? s.features() : s.out().resolve("features.safetensors"), accuracy, s.eval(), String.join("; ", gridTitles)) + table;
        AtomicFiles.writeString(s.out().resolve("fewstep.md"), md);
        return md;
    }

    /** The feature network of {@code --features}, or one trained now (default epochs) and saved in DIR/features.safetensors. */
    private static ImageFeatures features(Settings s) {
        if (s.features() != null) {
            if (!Files.isRegularFile(s.features()))
                throw new dev.panflow.UserError("no feature network at " + s.features() + " (make one with 'panflow eval train-features --data fashion-mnist')");
            return ImageFeatures.load(s.features(), s.backend(), s.threads());
        }
        FeatureTrainingOptions t = FeatureTrainingOptions.defaults(s.seed(), s.threads());
        ProgressBar bar = new ProgressBar("features", 1, s.progress()).rows(FeatureTrainingOptions.DEFAULT_BATCH, "images");
        long[] last = {0};
        ImageFeatures net;
        try (TrainingData train = DataSets.open("fashion-mnist", 0); TrainingData test = DataSets.open("fashion-mnist-test", 0)) {
            net = ImageQuality.trainFeatures(train, test, t, s.backend(), (step, total, loss) -> {
                if (step == 1) bar.total(total);
                last[0] = step;
                bar.update(step, String.format(Locale.ROOT, "loss %.4f", loss));
            });
        }
        bar.finish(last[0], "");
        net.save(s.out().resolve("features.safetensors"));
        return net;
    }

    /** The U-Net trained with {@code objective} for the budget; checkpoint in {@code dir}. */
    private static TrainResult train(Settings s, String objective, Path dir) {
        try (Trainer tr = Trainer.builder().data(DataSets.builtIn("fashion-mnist")).objective(objective).unet(s.channels()).groups(8)
                .labelDropout(0f).batch(s.batch()).steps(TrainCommand.NO_STEP_LIMIT).timeBudget(s.budget()).lr(s.lr()).warmup(50)
                .ema(0.99f).seed(s.seed()).checkpointEvery(0).backend(s.backend()).threads(s.threads()).out(dir).build()) {
            TrainProgress p = new TrainProgress("train " + objective, TrainCommand.NO_STEP_LIMIT, 0, s.batch(), "images", s.progress(), s.budget());
            TrainResult r = tr.run(p);
            p.finish(r);
            return r;
        }
    }

    private static String joined(int[] c) {
        StringBuilder b = new StringBuilder();
        for (int v : c) b.append(b.isEmpty() ? "" : ",").append(v);
        return b.toString();
    }
}
