package dev.panflow.cli;

import dev.panflow.data.Dequantize;
import dev.panflow.data.FashionMnist;
import dev.panflow.io.ImageGrid;
import dev.panflow.backend.Backends;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.FlowModelField;
import dev.panflow.ode.Divergence;
import dev.panflow.ode.Dopri5;
import dev.panflow.ode.LogLikelihood;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.Rk4;
import dev.panflow.ode.Solvers;
import dev.panflow.path.AffinePath;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import dev.panflow.train.CfmTrainer;
import dev.panflow.train.Checkpoint;
import dev.panflow.train.ModelSpec;
import dev.panflow.sampling.Sampler;
import dev.panflow.train.TrainConfig;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
                    List<Integer> nfe, double tol, long seed, Path out, int threads) {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final int SNAP_SAMPLES = 4;

    private ImagePathsExperiment() {}

    static String run(Settings s) throws IOException {
        StringBuilder summary = new StringBuilder(), solvers = new StringBuilder();
        summary.append("| path | test bits/dim (Hutchinson) | NFE of that solve | dopri5 NFE, sampling | final loss | train s |\n|---|---|---|---|---|---|\n");
        solvers.append("| path | solver | NFE | RMS error vs dopri5 (per pixel) |\n|---|---|---|---|\n");
        List<Path> rowsPng = new ArrayList<>();
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(s.threads()); ConvKernels conv = Backends.conv(s.backend(), pool)) {
            FashionMnist train = FashionMnist.load(FashionMnist.dir(), "train", arena);
            FashionMnist test = FashionMnist.load(FashionMnist.dir(), "test", arena);
            int dim = train.dim(), c = train.channels(), h = train.height(), w = train.width();
            if (s.test() > test.size())
                throw new dev.panflow.UserError("--test " + s.test() + " is more than the " + test.size() + " test images");
            // EMA window ~ a fifth of the run: a short run's EMA must not be dominated by its first steps
            float ema = (float) Math.max(0.9, Math.min(0.999, 1 - 5.0 / s.steps()));
            for (String name : s.paths()) {
                AffinePath path = Paths.byName(name);
                TrainConfig cfg = new TrainConfig("fashion-mnist", name, 256, 3, "sinusoidal", 16, s.batch(), s.steps(), s.lr(),
                        "cosine", Math.min(100, s.steps()), 0f, ema, 0f, s.seed(), 0, "logit-normal", 0f);
                ModelSpec spec = new ModelSpec("unet", s.channels(), 8, false, 0f);
                try (CfmTrainer tr = new CfmTrainer(cfg, spec, train, path, pool, conv); Workspace ws = new Workspace()) {
                    long t0 = System.nanoTime();
                    ProgressBar bar = new ProgressBar("train " + name, s.steps());
                    while (tr.step() < s.steps()) {
                        tr.trainStep();
                        bar.update(tr.step(), String.format("loss %.2f", tr.lastLoss()));
                    }
                    bar.finish(tr.step(), String.format("loss %.2f", tr.lastLoss()));
                    double trainSeconds = (System.nanoTime() - t0) * 1e-9;
                    Path dir = s.out().resolve(name);
                    Files.createDirectories(dir);
                    Checkpoint.save(tr, dir.resolve("model.safetensors"));
                    tr.model.params().values().copyFrom(tr.ema.weights());

                    // Test bits/dim: the first `test` held-out images, dequantized; one Rademacher probe per image.
                    Tensor x = ws.tensor(s.test(), dim);
                    MemorySegment.copy(test.images().segment(), 0, x.segment(), 0, 4L * s.test() * dim);
                    Dequantize.applyToScaled(x.segment(), x.size(), new Rng(s.seed() ^ 0x5DEECE66DL));
                    dev.panflow.ode.VjpField vjp = tr.model.field(ws, Math.min(s.test(), Sampler.IMAGE_CHUNK), null, 0f);
                    LogLikelihood.Result nll;
                    try (LogLikelihood ll = new LogLikelihood(vjp, Divergence.parse("hutchinson", "rademacher", 1, s.seed()), s.test());
                         Dopri5 d5 = new Dopri5(s.tol(), s.tol())) {
                        nll = ll.compute(x.segment(), s.test(), path.tMax(), path.noiseStd(), d5, 0);
                    }
                    double bpd = Dequantize.bitsPerDim(nll.mean(), dim), bpdSe = nll.standardError() / (dim * Math.log(2));

                    // Samples: dopri5 as the reference, then fixed-NFE solvers from the same noise.
                    Sampler.Result ref;
                    try (Dopri5 d5 = new Dopri5(s.tol(), s.tol())) {
                        ref = Sampler.sample(tr.model, path, d5, s.eval(), s.seed() + 1, ws);
                    }
                    ImageGrid.writePng(dir.resolve("samples-dopri5.png"), ref.samples().segment(), Math.min(64, s.eval()), c, h, w, 8, 2);
                    summary.append(String.format(Locale.ROOT, "| %s | %.3f ± %.3f | %d | %d | %.1f | %.0f |%n", name, bpd, bpdSe,
                            nll.stats().nfe(), ref.stats().nfe(), tr.lastLoss(), trainSeconds));
                    for (int k : s.nfe())
                        for (String solver : new String[] {"euler", "midpoint", "rk4"}) {
                            int per = solver.equals("euler") ? 1 : solver.equals("midpoint") ? 2 : 4;
                            try (OdeSolver ode = Solvers.byName(solver, k / per, s.tol(), s.tol())) {
                                Sampler.Result r = Sampler.sample(tr.model, path, ode, s.eval(), s.seed() + 1, ws);
                                solvers.append(String.format(Locale.ROOT, "| %s | %s | %d | %.4f |%n", name, solver, r.stats().nfe(),
                                        rms(r.samples().segment(), ref.samples().segment(), (long) s.eval() * dim)));
                            }
                        }
                    System.err.printf("%s: %.3f ± %.3f bits/dim (NFE %d), dopri5 sampling NFE %d%n", name, bpd, bpdSe,
                            nll.stats().nfe(), ref.stats().nfe());
                    rowsPng.add(snapshots(tr, path, ws, dir.resolve("snapshots.png"), s.seed(), c, h, w));
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

    /** Samples at t = 0, ¼, ½, ¾, 1 of t_max (RK4, 10 steps per quarter): one row per sample, one column per time. */
    private static Path snapshots(CfmTrainer tr, AffinePath path, Workspace ws, Path png, long seed, int c, int h, int w) {
        int n = SNAP_SAMPLES, dim = tr.dim(), times = ExperimentCommand.PathsExperiment.FRACTIONS.length;
        Tensor x = ws.tensor(n, dim), grid = ws.tensor(n * times, dim);
        new Rng(seed + 5).fillGaussian(x.segment(), x.size(), path.noiseStd());
        FlowModelField field = new FlowModelField(tr.model, ws, n, null, 0f);
        float prev = 0;
        for (int i = 0; i < times; i++) {
            float t = (float) (ExperimentCommand.PathsExperiment.FRACTIONS[i] * path.tMax());
            if (t > prev) try (Rk4 rk = new Rk4(10)) {
                rk.solve(field, x.segment(), n, prev, t);
            }
            prev = t;
            for (int r = 0; r < n; r++)
                MemorySegment.copy(x.segment(), 4L * r * dim, grid.segment(), 4L * ((long) r * times + i) * dim, 4L * dim);
        }
        ImageGrid.writePng(png, grid.segment(), n * times, c, h, w, times, 2);
        return png;
    }

    static double rms(MemorySegment a, MemorySegment b, long n) {
        double s = 0;
        for (long i = 0; i < n; i++) {
            double d = a.getAtIndex(F32, i) - b.getAtIndex(F32, i);
            s += d * d;
        }
        return Math.sqrt(s / n);
    }

    private static String joined(int[] c) {
        StringBuilder b = new StringBuilder();
        for (int v : c) b.append(b.isEmpty() ? "" : ",").append(v);
        return b.toString();
    }
}
