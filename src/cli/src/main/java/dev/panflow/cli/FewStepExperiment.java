package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.api.DataSets;
import dev.panflow.api.Flow;
import dev.panflow.api.LoadOptions;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.Samples;
import dev.panflow.api.TrainResult;
import dev.panflow.api.Trainer;
import dev.panflow.data.DataSource;
import dev.panflow.data.Datasets;
import dev.panflow.io.ScatterPlot;
import dev.panflow.ode.SolverKind;
import dev.panflow.tensor.Rng;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "fewstep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Few-step generation on a 2-D set, the same MLP and the same optimizer steps per method:",
                "CFM sampled by euler/midpoint/rk4 at 1, 2, 4 NFE and dopri5; CFM + reflow (the CFM model fine-tuned",
                "--steps more on dopri5 pairs); MeanFlow and shortcut models at 1, 2, 4 steps. Energy distance, sliced W2 and",
                "on-square fraction against fresh data (with the data-vs-data noise floor), wall time of training and of",
                "sampling; then CFM at low NFE under each --time-schedule. Writes DIR/fewstep.md (the tables),",
                "DIR/fewstep.png (1-step samples per method) and DIR/<method>/model.safetensors.",
                "With --data fashion-mnist: a small unconditional U-Net trained for --time-budget per method (cfm, meanflow,",
                "shortcut; no reflow), sampled by euler at 1, 2, 4 NFE, midpoint at 4 and dopri5 (cfm) or 1, 2, 4 jumps, scored by",
                "FID/KID on Panflow's feature network (--features F, else one trained first into DIR/features.safetensors)",
                "against the test images, beside the floor of as many training images."})
final class FewStepExperiment implements Callable<Integer> {
    @Option(names = "--data", description = "Built-in 2-D data set, or fashion-mnist (default: ${DEFAULT-VALUE}).")
    String data = "checkerboard";
    @Option(names = "--time-budget", paramLabel = "DURATION", description = "fashion-mnist: training wall time per method, e.g. 90s, 3m (default: ${DEFAULT-VALUE}).")
    String timeBudget = "3m";
    @Option(names = "--channels", split = ",", description = "fashion-mnist: U-Net channels per resolution (default: 16,32,32).")
    int[] channels = {16, 32, 32};
    @Option(names = "--features", paramLabel = "FILE", description = "fashion-mnist: the feature network of 'panflow eval train-features' (default: train one first).")
    Path features;
    @Option(names = "--backend", description = "fashion-mnist: convolution backend, jvm or onednn (default: ${DEFAULT-VALUE}).")
    String backend = "jvm";
    @Option(names = "--tol", description = "fashion-mnist: dopri5 tolerance (atol = rtol) of the cfm row (default: ${DEFAULT-VALUE}).")
    double tol = 1e-3;
    @Option(names = "--steps", description = "2-D: training steps per method (reflow: this many more on pairs) (default: ${DEFAULT-VALUE}).")
    long steps = 3000;
    @Option(names = "--batch", description = "Batch size (default: 256; 64 with fashion-mnist).")
    Integer batch;
    @Option(names = "--hidden", description = "Hidden width (default: ${DEFAULT-VALUE}).")
    int hidden = 128;
    @Option(names = "--layers", description = "Hidden layers (default: ${DEFAULT-VALUE}).")
    int layers = 3;
    @Option(names = "--lr", description = "Peak learning rate (default: 8e-3; 2e-3 with fashion-mnist).")
    Float lr;
    @Option(names = "--pairs", paramLabel = "N", description = "Reflow: (noise, sample) pairs made by the CFM model with dopri5 (default: ${DEFAULT-VALUE}).")
    int pairs = 20000;
    @Option(names = "--eval", paramLabel = "N", description = "Samples per table cell (default: 2000; 500 with fashion-mnist).")
    Integer eval;
    @Option(names = "--schedules", split = ",", description = "Time schedules of the CFM low-NFE table (default: ${DEFAULT-VALUE}).")
    List<String> schedules = List.of("uniform", "shift:3", "shift:0.33", "logit");
    @Option(names = "--seed", description = "Seed of training and evaluation (default: ${DEFAULT-VALUE}).")
    long seed = 0;
    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("runs/fewstep");
    @Mixin
    Threads threads;
    @Mixin
    ProgressOptions progressOptions;

    static final int[] FEW = {1, 2, 4};
    static final double TOL = 1e-5;

    @Override
    public Integer call() throws IOException {
        if (data.equals("fashion-mnist")) return images();
        if (batch == null) batch = 256;
        if (lr == null) lr = 8e-3f;
        if (eval == null) eval = 2000;
        if (!Datasets.builtinNames().contains(data)) throw new UserError("--data must be a built-in 2-D set " + Datasets.builtinNames());
        if (steps < 1 || batch < 1) throw new UserError("--steps and --batch must be ≥ 1");
        if (eval < 2 || eval > 20000) throw new UserError("--eval must be in [2, 20000], got " + eval);
        if (pairs < batch) throw new UserError("--pairs must be at least --batch (" + batch + "), got " + pairs);
        for (String s : schedules) dev.panflow.ode.TimeSchedule.parse(s); // refuse bad ones before any training
        Files.createDirectories(out);
        StringBuilder table = new StringBuilder("| method | sampler | NFE | energy distance | sliced W2 | on-square | train s | sample s |\n|---|---|---|---|---|---|---|---|\n");
        StringBuilder sched = new StringBuilder("| schedule | solver | NFE | energy distance | sliced W2 | on-square |\n|---|---|---|---|---|---|\n");
        List<MemorySegment> panels = new ArrayList<>();
        List<String> titles = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) {
            DataSource ds = Datasets.open(data, arena);
            Quality floor = Quality.floor(ds, eval, seed + 77);
            // CFM
            long t0 = System.nanoTime();
            TrainResult cfm = train("cfm", null, out.resolve("cfm"));
            double cfmSeconds = seconds(t0);
            try (Flow f = load(cfm.checkpoint())) {
                for (int k : FEW) row(table, "cfm", f, SolverKind.EULER, k, "uniform", ds, cfmSeconds);
                for (int k : new int[] {2, 4}) row(table, "cfm", f, SolverKind.MIDPOINT, k / 2, "uniform", ds, cfmSeconds);
                row(table, "cfm", f, SolverKind.RK4, 1, "uniform", ds, cfmSeconds);
                row(table, "cfm", f, SolverKind.DOPRI5, 0, "uniform", ds, cfmSeconds);
                panel(panels, titles, f, "CFM, euler 1 step");
                for (String s : schedules)
                    for (int k : new int[] {2, 4, 8}) {
                        schedRow(sched, f, SolverKind.EULER, k, s, ds);
                        if (k >= 4) schedRow(sched, f, SolverKind.MIDPOINT, k / 2, s, ds);
                    }
                // CFM + reflow: pairs (x0, dopri5(x0)) from the CFM model, then --steps more on them.
                long r0 = System.nanoTime();
                Path reflowDir = out.resolve("reflow");
                int dim = ds.dim();
                MemorySegment x1 = arena.allocate(4L * pairs * dim, 64), x0 = arena.allocate(4L * pairs * dim, 64);
                f.sampleInto(SampleRequest.of(pairs).solver(SolverKind.DOPRI5).tolerances(TOL, TOL).seed(seed + 3), x1);
                new Rng(seed + 3).fillGaussian(x0, (long) pairs * dim, 1f); // the sampler's noise (σ0 = 1 on the ot path)
                TrainResult reflow;
                try (Trainer tr = Trainer.builder().startFrom(cfm.checkpoint()).data(DataSets.pairs(x0, x1, pairs, dim, data)).steps(steps)
                        .warmup(Math.min(50, steps)).seed(seed).checkpointEvery(0).out(reflowDir).threads(threads.checked()).build()) {
                    TrainProgress p = new TrainProgress("train reflow", steps, 0, batch, "pairs", progressOptions);
                    reflow = tr.run(p);
                    p.finish(reflow);
                }
                double reflowSeconds = cfmSeconds + seconds(r0); // teacher, pairs and fine-tuning
                try (Flow g = load(reflow.checkpoint())) {
                    for (int k : FEW) row(table, "cfm + reflow", g, SolverKind.EULER, k, "uniform", ds, reflowSeconds);
                    panel(panels, titles, g, "CFM + reflow, euler 1 step");
                }
            }
            for (String objective : new String[] {"meanflow", "shortcut"}) {
                long m0 = System.nanoTime();
                TrainResult r = train(objective, objective, out.resolve(objective));
                double s = seconds(m0);
                try (Flow f = load(r.checkpoint())) {
                    for (int k : FEW) row(table, objective, f, SolverKind.EULER, k, "uniform", ds, s);
                    panel(panels, titles, f, objective + ", 1 step");
                }
            }
            table.append(String.format(Locale.ROOT, "| data vs data (noise floor) | – | – | %.4f | %.4f | %s | – | – |%n", floor.energy(),
                    floor.slicedW2(), data.equals("checkerboard") ? "1" : "–"));
        }
        String md = String.format(Locale.ROOT, "%s, MLP %d×%d, batch %d, %d steps per method (reflow: %d more on %d dopri5 pairs), lr %s, seed %d, %d threads;"
                        + " %d samples per cell against fresh data. few-step rows: x ← x + h·u(x, t, h) (euler is the rule's name).%n%n",
                data, hidden, layers, batch, steps, steps, pairs, lr, seed, threads.checked(), eval)
                + table + "\nCFM at low NFE, by time schedule (the same CFM model):\n\n" + sched;
        dev.panflow.io.AtomicFiles.writeString(out.resolve("fewstep.md"), md);
        System.out.print(md);
        ScatterPlot.writePanels(out.resolve("fewstep.png"), panels, eval, titles.toArray(String[]::new), -4.5, 4.5, -4.5, 4.5, 220);
        System.out.println("wrote " + out.resolve("fewstep.md") + " and " + out.resolve("fewstep.png"));
        return 0;
    }

    private int images() throws IOException {
        if (batch == null) batch = 64;
        if (lr == null) lr = 2e-3f;
        if (eval == null) eval = 500;
        if (batch < 1) throw new UserError("--batch must be ≥ 1");
        if (eval < 2 || eval > 10000) throw new UserError("--eval must be in [2, 10000] (the test images), got " + eval);
        if (!(tol > 0)) throw new UserError("--tol must be > 0, got " + tol);
        String be = backend.equals("jvm") || backend.equals("onednn") ? backend : null;
        if (be == null) throw new UserError("--backend must be jvm or onednn, got " + backend);
        var budget = Durations.parse(timeBudget, "--time-budget");
        if (features != null && !Files.isRegularFile(features))
            throw new UserError("no feature network at " + features + " (make one with 'panflow eval train-features --data fashion-mnist')");
        String md = ImageFewStepExperiment.run(new ImageFewStepExperiment.Settings(budget, batch, lr, channels, be, eval, tol, features, seed,
                out, threads.checked(), progressOptions));
        System.out.print(md);
        System.out.println("wrote " + out.resolve("fewstep.md") + " and " + out.resolve("fewstep.png"));
        return 0;
    }

    private static double seconds(long since) { return (System.nanoTime() - since) * 1e-9; }

    private Flow load(Path checkpoint) {
        return Flow.load(checkpoint, LoadOptions.defaults().threads(threads.checked()).maxConcurrentCalls(1));
    }

    /** The same MLP and budget; {@code objective} null: cfm. */
    private TrainResult train(String name, String objective, Path dir) {
        Trainer.Builder b = Trainer.builder().data(DataSets.builtIn(data)).mlp(hidden, layers).batch(batch).steps(steps).lr(lr)
                .warmup(Math.min(100, steps)).seed(seed).checkpointEvery(0).out(dir).threads(threads.checked());
        if (objective != null) b.objective(objective);
        try (Trainer tr = b.build()) {
            TrainProgress p = new TrainProgress("train " + name, steps, 0, batch, "points", progressOptions);
            TrainResult r = tr.run(p);
            p.finish(r);
            return r;
        }
    }

    private SampleRequest request(SolverKind s, int k, String schedule) {
        SampleRequest r = SampleRequest.of(eval).seed(seed + 1).solver(s).timeSchedule(schedule);
        return s == SolverKind.DOPRI5 ? r.tolerances(TOL, TOL) : r.steps(k);
    }

    /** One table row; the sample time is that of a second, warm call (the first compiles the kernels). */
    private void row(StringBuilder t, String method, Flow f, SolverKind s, int k, String schedule, DataSource ds, double trainSeconds) {
        SampleRequest req = request(s, k, schedule);
        f.sampleWithStats(req);
        Samples smp = f.sampleWithStats(req);
        Quality q = Quality.of(smp, ds, seed + 1);
        t.append(String.format(Locale.ROOT, "| %s | %s | %d | %.4f | %.4f | %s | %.1f | %.4f |%n", method, s == SolverKind.DOPRI5 ? "dopri5 (1e-5)" : s.id(),
                q.nfe(), q.energy(), q.slicedW2(), onSquare(q), trainSeconds, smp.seconds()));
        System.err.printf("%s %s NFE %d: energy %.4f%n", method, s.id(), q.nfe(), q.energy());
    }

    private void schedRow(StringBuilder t, Flow f, SolverKind s, int k, String schedule, DataSource ds) {
        Quality q = Quality.of(f.sampleWithStats(request(s, k, schedule)), ds, seed + 1);
        t.append(String.format(Locale.ROOT, "| %s | %s | %d | %.4f | %.4f | %s |%n", schedule, s.id(), q.nfe(), q.energy(), q.slicedW2(), onSquare(q)));
    }

    private static String onSquare(Quality q) {
        return Double.isNaN(q.onSquare()) ? "–" : String.format(Locale.ROOT, "%.3f", q.onSquare());
    }

    /** 1-step samples of a method (the seed of the table) for the picture. */
    private void panel(List<MemorySegment> panels, List<String> titles, Flow f, String title) {
        panels.add(MemorySegment.ofArray(f.sampleWithStats(SampleRequest.of(eval).seed(seed + 1).steps(1)).values()));
        titles.add(title);
    }
}
