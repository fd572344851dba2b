package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.api.DataSets;
import dev.panflow.api.Flow;
import dev.panflow.api.LikelihoodRequest;
import dev.panflow.api.Likelihoods;
import dev.panflow.api.LoadOptions;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.Samples;
import dev.panflow.api.TrainResult;
import dev.panflow.api.Trainer;
import dev.panflow.data.DataSource;
import dev.panflow.data.Datasets;
import dev.panflow.io.ScatterPlot;
import dev.panflow.ode.SolverKind;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "experiment", mixinStandardHelpOptions = true, description = "Reproducible comparisons from the paper.",
        subcommands = {ExperimentCommand.PathsExperiment.class, FewStepExperiment.class})
final class ExperimentCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing experiment: choose paths or fewstep (see --help)");
    }

    @Command(name = "paths", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"The paper's comparison of probability paths (Lipman et al. 2023, Table 1 and Fig. 4) on a 2-D set:",
                    "trains the same MLP with each path, then reports test NLL (exact divergence, dopri5), dopri5 NFE at",
                    "atol = rtol = 1e-5, and sample error (energy distance, sliced W2, on-square) at fixed NFE for",
                    "euler/midpoint/rk4. Writes DIR/paths.md (the tables), DIR/paths.png (samples at t = 0, 1/4, 1/2, 3/4, 1",
                    "per path), DIR/run.json, and per path DIR/<path>/model.safetensors, metrics.jsonl, run.json and loss.png.",
                    "With --data fashion-mnist: the same U-Net per path; test bits/dim (Hutchinson, first --test test images),",
                    "dopri5 sampling NFE, and the RMS error of fixed-NFE samples against dopri5 samples from the same noise."})
    static final class PathsExperiment implements Callable<Integer> {
        @Option(names = "--paths", split = ",", description = "Paths to compare (default: ${DEFAULT-VALUE}).")
        List<String> paths = List.of("ot", "vp", "ve");
        @Option(names = "--data", description = "Built-in 2-D data set, or fashion-mnist (U-Net) (default: ${DEFAULT-VALUE}).")
        String data = "checkerboard";
        @Option(names = "--channels", paramLabel = "C0,C1,...", description = "fashion-mnist: U-Net channels per resolution (default: ${DEFAULT-VALUE}).")
        String channels = "32,64,64";
            @Mixin
        CpuBackendOption backend;
        @Option(names = "--tol", description = "dopri5 atol = rtol for the NLL and the NFE count (default: ${DEFAULT-VALUE}).")
        double tol = 1e-5;
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec commandSpec;
        @Option(names = "--steps", description = "Training steps per path (default: ${DEFAULT-VALUE}; fashion-mnist: 600).")
        long steps = 1500;
        @Option(names = "--batch", description = "Batch size (default: ${DEFAULT-VALUE}; fashion-mnist: 64).")
        int batch = 256;
        @Option(names = "--hidden", description = "Hidden width (default: ${DEFAULT-VALUE}).")
        int hidden = 128;
        @Option(names = "--layers", description = "Hidden layers (default: ${DEFAULT-VALUE}).")
        int layers = 3;
        @Option(names = "--lr", description = "Peak learning rate (default: ${DEFAULT-VALUE}; fashion-mnist: 1e-3).")
        float lr = 8e-3f;
        @Option(names = "--test", paramLabel = "N", description = "Held-out points for the NLL (default: ${DEFAULT-VALUE}; fashion-mnist: 64).")
        int test = 1000;
        @Option(names = "--eval", paramLabel = "N", description = "Samples per sample-error cell (default: ${DEFAULT-VALUE}; fashion-mnist: 64).")
        int eval = 1000;
        @Option(names = "--nfe", split = ",", description = "Fixed NFE budgets for euler/midpoint/rk4; multiples of 4 (default: ${DEFAULT-VALUE}).")
        List<Integer> nfe = List.of(8, 40);
        @Option(names = "--seed", description = "Seed of training and evaluation (default: ${DEFAULT-VALUE}).")
        long seed = 0;
        @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).")
        Path out = Path.of("runs/paths");
        @Mixin
        Threads threads;
        @Mixin
        ProgressOptions progressOptions;

        static final double[] FRACTIONS = {0, 0.25, 0.5, 0.75, 1};

        @Override
        public Integer call() throws IOException {
            boolean images = data.equals("fashion-mnist");
            if (!images && !Datasets.builtinNames().contains(data))
                throw new UserError("--data must be a built-in 2-D set " + Datasets.builtinNames() + " or fashion-mnist");
            for (int k : nfe) if (k < 4 || k % 4 != 0) throw new UserError("--nfe values must be positive multiples of 4 (rk4 takes 4 per step), got " + k);
            for (String name : paths) Paths.byName(name); // refuse unknown names before any training
            if (!(tol > 0 && tol < 1)) throw new UserError("--tol must be in (0, 1), got " + tol);
            if (images) {
                var pr = commandSpec.commandLine().getParseResult();
                if (!pr.hasMatchedOption("--steps")) steps = 600;
                if (!pr.hasMatchedOption("--batch")) batch = 64;
                if (!pr.hasMatchedOption("--lr")) lr = 1e-3f;
                if (!pr.hasMatchedOption("--test")) test = 64;
                if (!pr.hasMatchedOption("--eval")) eval = 64;
                if (!pr.hasMatchedOption("--out")) out = Path.of("runs/paths-fashion-mnist");
            }
            if (test < 2 || eval < 2) throw new UserError("--test and --eval must be ≥ 2");
            if (images && test > 10000) throw new UserError("--test must be ≤ 10000 (the Fashion-MNIST test set), got " + test);
            if (steps < 1 || batch < 1) throw new UserError("--steps and --batch must be ≥ 1");
            Files.createDirectories(out);
            dev.panflow.io.AtomicFiles.writeString(out.resolve("run.json"), RunInfo.json("experiment paths", commandSpec, experimentFacts(images)));
            if (images) {
                String backendName = backend.checked("experiment paths");
                String md = ImagePathsExperiment.run(new ImagePathsExperiment.Settings(paths, steps, batch, lr,
                        dev.panflow.nn.UNetConfig.parseList(channels), backendName, test, eval, nfe, tol, seed, out, threads.checked(),
                        progressOptions, commandSpec));
                System.out.print(md);
                System.out.println("wrote " + out.resolve("paths.md") + " and " + out.resolve("paths.png"));
                return 0;
            }
            StringBuilder summary = new StringBuilder(), solvers = new StringBuilder();
            summary.append(String.format(Locale.ROOT, "| path | test NLL (nats) | dopri5 NFE, sampling (%.0e) | dopri5 NFE, NLL solve | final loss | train s |%n|---|---|---|---|---|---|%n", tol));
            solvers.append("| path | solver | NFE | energy distance | sliced W2 | on-square |\n|---|---|---|---|---|---|\n");
            List<Path> rowsPng = new ArrayList<>();
            try (Arena arena = Arena.ofShared()) {
                DataSource ds = Datasets.open(data, arena); // held-out draws and the reference samples
                Quality floor = Quality.floor(ds, eval, seed + 77);
                for (String name : paths) {
                    Path dir = out.resolve(name);
                    long t0 = System.nanoTime();
                    TrainResult r = train(name, dir);
                    double trainSeconds = (System.nanoTime() - t0) * 1e-9;
                    try (Flow flow = Flow.load(r.checkpoint(), LoadOptions.defaults().threads(threads.checked()).maxConcurrentCalls(1))) {
                        // Test NLL: held-out draws, exact divergence, dopri5 at --tol.
                        Tensor x = Tensor.allocate(arena, test, ds.dim());
                        ds.sample(new Rng(seed + 12345), x.segment(), test);
                        Likelihoods nll = nll(flow, "nll " + name, x.segment(), test, LikelihoodRequest.defaults()
                                .divergence(LikelihoodRequest.DivergenceMethod.EXACT).tolerances(tol, tol).batch(test), progressOptions);
                        SampleRequest req = SampleRequest.of(eval).seed(seed + 1);
                        long sampleNfe = Quality.of(sample(flow, "sample " + name, req.solver(SolverKind.DOPRI5).tolerances(tol, tol), progressOptions), ds, seed + 1).nfe();
                        summary.append(String.format(Locale.ROOT, "| %s | %.3f ± %.3f | %d | %d | %.3f | %.0f |%n", name, -nll.mean(),
                                nll.standardError(), sampleNfe, nll.nfe(), r.finalLoss(), trainSeconds));
                        for (int k : nfe)
                            for (SolverKind s : FIXED_NFE_SOLVERS) {
                                Quality q = Quality.of(sample(flow, "sample " + name + " " + s.id(), req.solver(s).steps(k / evaluationsPerStep(s)), progressOptions), ds, seed + 1);
                                solvers.append(String.format(Locale.ROOT, "| %s | %s | %d | %.4f | %.4f | %s |%n", name, s.id(), q.nfe(),
                                        q.energy(), q.slicedW2(), Double.isNaN(q.onSquare()) ? "–" : String.format(Locale.ROOT, "%.3f", q.onSquare())));
                            }
                        System.err.printf("%s: NLL %.3f ± %.3f, dopri5 NFE %d%n", name, -nll.mean(), nll.standardError(), sampleNfe);
                        rowsPng.add(snapshots(flow, dir.resolve("snapshots.png"), name));
                    }
                }
                solvers.append(String.format(Locale.ROOT, "| data vs data (noise floor) | – | – | %.4f | %.4f | 1 |%n", floor.energy(), floor.slicedW2()));
            }
            String md = String.format(Locale.ROOT, "%s, MLP %d×%d, batch %d, %d steps per path, seed %d; NLL on %d held-out points, sample errors on %d samples.%n%n",
                    data, hidden, layers, batch, steps, seed, test, eval) + summary + "\n" + solvers;
            Files.writeString(out.resolve("paths.md"), md);
            System.out.print(md);
            stack(rowsPng, out.resolve("paths.png"));
            System.out.println("wrote " + out.resolve("paths.md") + " and " + out.resolve("paths.png"));
            return 0;
        }

        /** The same MLP trained with path {@code name}, its checkpoint and run log in {@code dir}. */
        private TrainResult train(String name, Path dir) {
            try (Trainer tr = Trainer.builder().data(DataSets.builtIn(data)).path(name).mlp(hidden, layers).batch(batch).steps(steps)
                    .lr(lr).warmup(Math.min(100, steps)).seed(seed).checkpointEvery(0).out(dir).threads(threads.checked()).build()) {
                TrainProgress progress = new TrainProgress("train " + name, steps, 0, batch, "points", progressOptions);
                return progress.run(tr, RunLog.start(dir, "experiment paths", commandSpec, pathFacts(tr, steps, batch, seed)));
            }
        }

        /** What the experiment's run.json says besides its options. */
        private java.util.Map<String, Object> experimentFacts(boolean images) {
            var m = new java.util.LinkedHashMap<String, Object>();
            m.put("data", data);
            m.put("paths", paths);
            m.put("model", images ? "U-Net " + channels : "MLP " + hidden + "×" + layers);
            m.put("steps_per_path", steps);
            m.put("batch", batch);
            m.put("seed", seed);
            m.put("threads", threads.checked());
            return m;
        }

        /** One path's run.json facts: the trainer's, with the steps, batch and seed. */
        static java.util.Map<String, Object> pathFacts(Trainer tr, long steps, int batch, long seed) {
            var m = RunInfo.trainer(tr);
            m.put("batch", batch);
            m.put("steps", steps);
            m.put("seed", seed);
            return m;
        }

        /** Samples with a progress bar. */
        static Samples sample(Flow flow, String label, SampleRequest req, ProgressOptions options) {
            SampleProgress progress = new SampleProgress(label, req.n(), options);
            Samples s = flow.sampleWithStats(req, progress);
            progress.finish(s);
            return s;
        }

        /** Log-likelihoods with a progress bar. */
        static Likelihoods nll(Flow flow, String label, MemorySegment x, int rows, LikelihoodRequest req, ProgressOptions options) {
            ProgressBar bar = new ProgressBar(label, rows, options).unit("points");
            Likelihoods ll = flow.logLikelihoodWithStats(x, rows, req, (done, total, nfe) -> {
                if (bar.due()) bar.update(done, "NFE " + nfe);
            });
            bar.finish(rows, "NFE " + ll.nfe());
            return ll;
        }

        /** Samples at t = f·t_max for each fraction f (RK4, 10 steps per quarter), one PNG row. */
        private Path snapshots(Flow flow, Path png, String name) {
            int n = 4000;
            List<MemorySegment> panels = new ArrayList<>();
            String[] titles = new String[FRACTIONS.length];
            List<float[]> at = flow.trajectory(SampleRequest.of(n).solver(SolverKind.RK4).steps(10).seed(seed + 5), FRACTIONS);
            for (int i = 0; i < FRACTIONS.length; i++) {
                panels.add(MemorySegment.ofArray(at.get(i)));
                titles[i] = String.format(Locale.ROOT, "%s  t = %s", name.toUpperCase(Locale.ROOT), new String[] {"0", "1/4", "1/2", "3/4", "1"}[i]);
            }
            ScatterPlot.writePanels(png, panels, n, titles, -4.5, 4.5, -4.5, 4.5, 200);
            return png;
        }

        /** The fixed-step solvers of the sample-error table, each at a fixed NFE budget. */
        static final SolverKind[] FIXED_NFE_SOLVERS = {SolverKind.EULER, SolverKind.MIDPOINT, SolverKind.RK4};

        /** Network evaluations per step of euler (1), midpoint (2) and rk4 (4). */
        static int evaluationsPerStep(SolverKind s) {
            return switch (s) {
                case EULER -> 1;
                case MIDPOINT, HEUN -> 2;
                case RK4 -> 4;
                case DOPRI5, DOPRI5_POINT -> throw new IllegalArgumentException(s.id() + " adapts its steps");
            };
        }

        /** Stacks the per-path rows into one picture. */
        static void stack(List<Path> rows, Path target) throws IOException {
            List<BufferedImage> imgs = new ArrayList<>();
            int w = 0, h = 0;
            for (Path p : rows) {
                BufferedImage im = ImageIO.read(p.toFile());
                imgs.add(im);
                w = Math.max(w, im.getWidth());
                h += im.getHeight() + 4;
            }
            BufferedImage all = new BufferedImage(w, Math.max(1, h - 4), BufferedImage.TYPE_INT_RGB);
            var g = all.createGraphics();
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(0, 0, w, h);
            int y = 0;
            for (BufferedImage im : imgs) {
                g.drawImage(im, 0, y, null);
                y += im.getHeight() + 4;
            }
            g.dispose();
            dev.panflow.io.AtomicFiles.writePng(target, all);
        }
    }
}
