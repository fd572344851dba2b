package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.api.Flow;
import dev.panflow.api.LikelihoodRequest;
import dev.panflow.api.Likelihoods;
import dev.panflow.api.LoadOptions;
import dev.panflow.api.ModelInfo;
import dev.panflow.data.ArrayDataSource;
import dev.panflow.data.DataSource;
import dev.panflow.data.Datasets;
import dev.panflow.data.Dequantize;
import dev.panflow.ode.Divergence;
import dev.panflow.path.AffinePath;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
    @Mixin
    ModelSource source = new ModelSource();
    @Option(names = "--data", paramLabel = "NAME|FILE", description = "A built-in 2-D set (fresh draws: held-out points), fashion-mnist-test (its first N images), or a .npy/.csv file of rows (its first N rows) (default: the model's training set; fashion-mnist-test for a Fashion-MNIST model).")
    String data;
    @Option(names = "--n", paramLabel = "N", description = "Points to evaluate (default: ${DEFAULT-VALUE}; for a file, at most its rows).")
    int n = 5000;
    @Option(names = "--batch", paramLabel = "B", description = "Points per ODE solve (an adaptive solver takes one step size per solve) (default: ${DEFAULT-VALUE}).")
    int batch = 1000;
    @Mixin
    SolverOptions solver = new SolverOptions("dopri5");
    @Option(names = "--divergence", description = "exact (one vector-Jacobian product per dimension), hutchinson, or auto: exact up to 64 dimensions, else hutchinson (default: ${DEFAULT-VALUE}).")
    String divergence = "auto";
    @Option(names = "--probe", description = "Hutchinson probe distribution: rademacher or gaussian (default: ${DEFAULT-VALUE}).")
    String probe = "rademacher";
    @Option(names = "--probes", paramLabel = "K", description = "Hutchinson probes per point, averaged; each held fixed over the solve (default: ${DEFAULT-VALUE}).")
    int probes = 1;
    @Option(names = "--bits-per-dim", description = "Data are 8-bit pixels (0…255): dequantize y = (pixel + u)/127.5 − 1 and also print bits per dimension (automatic for image data sets).")
    boolean bitsPerDim;
    @Mixin
    CpuBackendOption backend;
    @Option(names = "--seed", description = "Seed of held-out draws, probes and dequantization noise (default: ${DEFAULT-VALUE}).")
    long seed = 12345;
    @Option(names = "--no-ema", description = "Use the raw weights instead of their exponential moving average.")
    boolean noEma;
    @Mixin
    Threads threads;
    @Mixin
    ProgressOptions progressOptions;

    @Override
    public Integer call() {
        if (n < 1 || n > 10_000_000) throw new UserError("--n must be in [1, 10000000], got " + n);
        if (batch < 1 || batch > 1_000_000) throw new UserError("--batch must be in [1, 1000000], got " + batch);
        LikelihoodRequest req = solver.likelihood(LikelihoodRequest.defaults()).batch(batch).seed(seed);
        String backendName = backend.checked("nll");
        source.check();
        LoadOptions opts = LoadOptions.defaults().ema(!noEma).backend(backendName).threads(threads.checked()).maxConcurrentCalls(1);
        try (Flow flow = source.open(opts); Arena arena = Arena.ofShared()) {
            ModelInfo info = flow.info();
            String dataName = data != null ? data : info.data().equals("fashion-mnist") ? "fashion-mnist-test" : info.data();
            Divergence div = Divergence.parse(divergence.equals("auto") ? (info.dim() <= 64 ? "exact" : "hutchinson") : divergence,
                    probe, probes, seed); // checks the words, as the request's fields cannot
            req = div.exactTrace() ? req.divergence(LikelihoodRequest.DivergenceMethod.EXACT)
                    : req.hutchinson(div.probes(), div.kind() == Divergence.Kind.GAUSSIAN);
            var ds = Datasets.open(dataName, arena);
            Tensor x = points(ds, dataName, info.dim(), arena);
            int rows = x.rows(), dim = x.cols();
            boolean images = ds instanceof dev.panflow.data.ImageDataSource;
            if (images) Dequantize.applyToScaled(x.segment(), x.size(), new Rng(seed ^ 0x5DEECE66DL));
            else if (bitsPerDim) Dequantize.apply(x.segment(), x.size(), new Rng(seed ^ 0x5DEECE66DL));
            if (info.isImageModel() && info.classes() > 0)
                System.err.println("note: a class-conditional model: its unconditional (null-class) density is evaluated");
            run(flow, Paths.byName(info.path()), x, rows, dim, req, div, dataName, images || bitsPerDim);
        }
        return 0;
    }

    private void run(Flow flow, AffinePath path, Tensor x, int rows, int dim, LikelihoodRequest req, Divergence div,
                     String dataName, boolean bpd) {
        String ode = solver.describe();
        System.err.printf("nll: %s, %d points of %s, path %s (prior N(0, %.4g² I), t from %.4g to 0), %s, divergence %s%n",
                source.describe(), rows, dataName, path.name(), path.noiseStd(), path.tMax(), ode, div);
        ProgressBar bar = new ProgressBar("nll", rows, progressOptions).unit("points");
        Likelihoods ll = flow.logLikelihoodWithStats(x.segment(), rows, req, (done, total, nfe) -> bar.update(done, "NFE " + nfe));
        bar.finish(rows, String.format("NFE %.1f per solve", ll.nfePerSolve()));
        double mean = ll.mean(), se = ll.standardError();
        if (!Double.isFinite(mean))
            throw new UserError("the log-likelihood is not finite (" + mean + "); try tighter --atol/--rtol or check the model");
        System.out.printf("log-likelihood %.4f ± %.4f nats per point (NLL %.4f; %d points, standard error of the mean)%n",
                mean, se, -mean, rows);
        if (bpd)
            System.out.printf("bits per dimension %.4f ± %.4f (dequantized 8-bit data, D = %d)%n",
                    Dequantize.bitsPerDim(mean, dim), se / (dim * Math.log(2)), dim);
        System.out.printf("NFE %.1f per solve (%d solves of up to %d points), %s, %.2f s%n",
                ll.nfePerSolve(), ll.solves(), ll.batch(), ode, ll.seconds());
        if (req.solver() == dev.panflow.ode.SolverKind.DOPRI5_POINT) {
            System.out.printf("NFE per point: mean %.1f, max %d; %d network row evaluations%n",
                    ll.nfeMeanPerPoint(), ll.nfeMaxPerPoint(), ll.pointEvaluations());
            if (ll.unfinishedPoints() > 0)
                System.err.printf("warning: %d of %d points did not reach t = 0 (step bound); their log p is from the last state%n",
                        ll.unfinishedPoints(), rows);
        }
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
