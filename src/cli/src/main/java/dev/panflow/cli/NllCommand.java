package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.data.ArrayDataSource;
import dev.panflow.data.DataSource;
import dev.panflow.data.Datasets;
import dev.panflow.data.Dequantize;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.MlpVelocityField;
import dev.panflow.ode.VjpField;
import dev.panflow.path.AffinePath;
import dev.panflow.path.Paths;
import dev.panflow.train.Checkpoint;
import dev.panflow.sampling.Sampler;
import java.lang.foreign.MemorySegment;
import dev.panflow.ode.Divergence;
import dev.panflow.ode.LogLikelihood;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.Solvers;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "nll", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Log-likelihood of data under a trained model: integrates [x, Δlog p] from t = 1 back to 0 with",
                "d(Δlog p)/dt = −div v_t(x), then log p(x) = log p0(x0) − Δlog p(0), p0 = N(0, σ0² I) of the model's path.",
                "Prints the mean log-likelihood (nats per point) ± its standard error, the NLL and the NFE."})
final class NllCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "FILE", description = "A checkpoint written by 'panflow train'.")
    Path model;
    @Option(names = "--data", paramLabel = "NAME|FILE", description = "A built-in 2-D set (fresh draws: held-out points), fashion-mnist-test (its first N images), or a .npy/.csv file of rows (its first N rows) (default: the model's training set; fashion-mnist-test for a Fashion-MNIST model).")
    String data;
    @Option(names = "--n", paramLabel = "N", description = "Points to evaluate (default: ${DEFAULT-VALUE}; for a file, at most its rows).")
    int n = 5000;
    @Option(names = "--batch", paramLabel = "B", description = "Points per ODE solve (an adaptive solver takes one step size per solve) (default: ${DEFAULT-VALUE}).")
    int batch = 1000;
    @Option(names = "--solver", description = "euler, midpoint, heun, rk4 or dopri5 (default: ${DEFAULT-VALUE}).")
    String solver = "dopri5";
    @Option(names = "--steps", paramLabel = "K", description = "Steps of a fixed-step solver (default: ${DEFAULT-VALUE}).")
    int steps = 100;
    @Option(names = "--atol", description = "dopri5 absolute tolerance (default: ${DEFAULT-VALUE}).")
    double atol = 1e-5;
    @Option(names = "--rtol", description = "dopri5 relative tolerance (default: ${DEFAULT-VALUE}).")
    double rtol = 1e-5;
    @Option(names = "--divergence", description = "exact (one vector-Jacobian product per dimension), hutchinson, or auto: exact up to 64 dimensions, else hutchinson (default: ${DEFAULT-VALUE}).")
    String divergence = "auto";
    @Option(names = "--probe", description = "Hutchinson probe distribution: rademacher or gaussian (default: ${DEFAULT-VALUE}).")
    String probe = "rademacher";
    @Option(names = "--probes", paramLabel = "K", description = "Hutchinson probes per point, averaged; each held fixed over the solve (default: ${DEFAULT-VALUE}).")
    int probes = 1;
    @Option(names = "--bits-per-dim", description = "Data are 8-bit pixels (0…255): dequantize y = (pixel + u)/127.5 − 1 and also print bits per dimension (automatic for image data sets).")
    boolean bitsPerDim;
    @Option(names = "--backend", description = "Who runs a U-Net's convolutions: jvm, scalar or onednn (default: ${DEFAULT-VALUE}).")
    String backend = dev.panflow.backend.Backends.DEFAULT;
    @Option(names = "--seed", description = "Seed of held-out draws, probes and dequantization noise (default: ${DEFAULT-VALUE}).")
    long seed = 12345;
    @Option(names = "--no-ema", description = "Use the raw weights instead of their exponential moving average.")
    boolean noEma;
    @Mixin
    Threads threads;

    @Override
    public Integer call() {
        if (n < 1 || n > 10_000_000) throw new UserError("--n must be in [1, 10000000], got " + n);
        if (batch < 1 || batch > 1_000_000) throw new UserError("--batch must be in [1, 1000000], got " + batch);
        if (!(atol > 0) || !(rtol > 0)) throw new UserError("--atol and --rtol must be > 0");
        if (!dev.panflow.backend.Backends.byName(backend).onCpu())
            throw new UserError("nll runs on the CPU backends (jvm, scalar, onednn)");
        if (!java.nio.file.Files.isRegularFile(model)) throw new UserError("no model file at " + model);
        try (Arena arena = Arena.ofShared(); Workspace ws = new Workspace(); Pool pool = new Pool(threads.checked());
             OdeSolver ode = Solvers.byName(solver, steps, atol, rtol)) {
            Checkpoint.Model meta = Checkpoint.readModel(model, arena, !noEma);
            String dataName = data != null ? data
                    : meta.config().data().equals("fashion-mnist") ? "fashion-mnist-test" : meta.config().data();
            Divergence div = Divergence.parse(divergence.equals("auto") ? (meta.dim() <= 64 ? "exact" : "hutchinson") : divergence,
                    probe, probes, seed);
            var ds = Datasets.open(dataName, arena);
            Tensor x = points(ds, dataName, meta.dim(), arena);
            int rows = x.rows(), dim = x.cols();
            boolean images = ds instanceof dev.panflow.data.ImageDataSource;
            if (images) Dequantize.applyToScaled(x.segment(), x.size(), new Rng(seed ^ 0x5DEECE66DL));
            else if (bitsPerDim) Dequantize.apply(x.segment(), x.size(), new Rng(seed ^ 0x5DEECE66DL));
            boolean bpd = images || bitsPerDim;
            int b = Math.min(batch, rows);
            try (dev.panflow.kernels.ConvKernels conv = meta.spec().isUnet() ? dev.panflow.backend.Backends.conv(backend, pool) : null) {
                VjpField field;
                AffinePath path = Paths.byName(meta.config().path());
                if (meta.spec().isUnet()) {
                    field = LoadedModel.unet(meta, model, conv, pool, ws).field(ws, Math.min(b, Sampler.IMAGE_CHUNK), null, 0f);
                    if (meta.classes() > 0) System.err.println("note: a class-conditional model: its unconditional (null-class) density is evaluated");
                } else {
                    field = new MlpVelocityField(LoadedModel.mlp(meta, model, pool, ws), ws, Math.min(b, 4096));
                }
                run(field, path, x, rows, dim, b, div, ode, dataName, bpd);
            }
        }
        return 0;
    }

    private void run(VjpField field, AffinePath path, Tensor x, int rows, int dim, int b, Divergence div, OdeSolver ode,
                     String dataName, boolean bpd) {
        double sigma0 = path.noiseStd();
        System.err.printf("nll: %s, %d points of %s, path %s (prior N(0, %.4g² I), t from %.4g to 0), %s, divergence %s%n",
                model, rows, dataName, path.name(), sigma0, path.tMax(), ode.name(), div);
        double[] all = new double[rows];
        long nfe = 0;
        int solves = 0;
        long start = System.nanoTime();
        ProgressBar bar = new ProgressBar("nll", rows);
        try (LogLikelihood ll = new LogLikelihood(field, div, b)) {
            for (int r0 = 0; r0 < rows; r0 += b) {
                int m = Math.min(b, rows - r0);
                LogLikelihood.Result res = ll.compute(x.segment().asSlice(4L * r0 * dim), m, path.tMax(), sigma0, ode, solves);
                System.arraycopy(res.logp(), 0, all, r0, m);
                nfe += res.stats().nfe();
                solves++;
                bar.update(r0 + m, "NFE " + res.stats().nfe());
            }
        }
        bar.finish(rows, String.format("NFE %.1f per solve", (double) nfe / solves));
        double seconds = (System.nanoTime() - start) * 1e-9;
        LogLikelihood.Result total = new LogLikelihood.Result(all, null);
        double mean = total.mean(), se = total.standardError();
        if (!Double.isFinite(mean))
            throw new UserError("the log-likelihood is not finite (" + mean + "); try tighter --atol/--rtol or check the model");
        System.out.printf("log-likelihood %.4f ± %.4f nats per point (NLL %.4f; %d points, standard error of the mean)%n",
                mean, se, -mean, rows);
        if (bpd)
            System.out.printf("bits per dimension %.4f ± %.4f (dequantized 8-bit data, D = %d)%n",
                    Dequantize.bitsPerDim(mean, dim), se / (dim * Math.log(2)), dim);
        System.out.printf("NFE %.1f per solve (%d solves of up to %d points), %s, %.2f s%n",
                (double) nfe / solves, solves, b, ode.name(), seconds);
    }

    /** Held-out draws of a built-in set, or the first n rows of a file. */
    private Tensor points(DataSource ds, String name, int dim, Arena arena) {
        if (ds.dim() != dim)
            throw new UserError("data " + name + " has " + ds.dim() + " columns, the model " + dim);
        if (ds instanceof dev.panflow.data.FashionMnist f) { // the first n images, in the file's order
            int rows = Math.min(n, f.size());
            Tensor x = Tensor.allocate(arena, rows, dim);
            MemorySegment.copy(f.images().segment(), 0, x.segment(), 0, 4L * rows * dim);
            return x;
        }
        if (ds instanceof ArrayDataSource a) {
            int rows = Math.min(n, a.rows());
            Tensor x = Tensor.allocate(arena, rows, dim);
            a.copyRows(0, rows, x.segment());
            return x;
        }
        Tensor x = Tensor.allocate(arena, n, dim);
        ds.sample(new Rng(seed), x.segment(), n);
        return x;
    }
}
