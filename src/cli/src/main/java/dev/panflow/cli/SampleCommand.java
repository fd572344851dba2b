package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.dist.Collective;
import dev.panflow.io.Npy;
import dev.panflow.backend.Backends;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.UNet;
import dev.panflow.nn.Mlp;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.Solvers;
import dev.panflow.path.AffinePath;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Workspace;
import dev.panflow.train.Checkpoint;
import dev.panflow.train.MemoryBudget;
import dev.panflow.sampling.Sampler;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draw samples from a trained model by integrating dx/dt = v(x, t) from noise (t = 0) to data (t = 1).",
                "Prints the number of function evaluations (NFE) and the wall time."})
final class SampleCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "FILE", description = "A checkpoint written by 'panflow train' (model.safetensors).")
    Path model;
    @Option(names = "--n", description = "Number of samples (default: ${DEFAULT-VALUE}; for images 64, or 10 per class for a conditional model).")
    int n = 10000;
    @Option(names = "--solver", description = "euler, midpoint, heun, rk4 or dopri5 (adaptive) (default: ${DEFAULT-VALUE}).")
    String solver = "euler";
    @Option(names = "--steps", paramLabel = "K", description = "Steps of a fixed-step solver (default: ${DEFAULT-VALUE}).")
    int steps = 100;
    @Option(names = "--atol", description = "dopri5 absolute tolerance (default: ${DEFAULT-VALUE}).")
    double atol = 1e-5;
    @Option(names = "--rtol", description = "dopri5 relative tolerance (default: ${DEFAULT-VALUE}).")
    double rtol = 1e-5;
    @Option(names = "--seed", description = "Seed of the noise (default: ${DEFAULT-VALUE}).")
    long seed = 0;
    @Mixin
    Threads threads;
    @Mixin
    Distributed distributed;
    @Option(names = "--out", paramLabel = "FILE.npy", description = "Where to write the samples (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("samples.npy");
    @Option(names = "--png", paramLabel = "FILE.png", description = "Also write a scatter plot (2-D data); for images the grid PNG (default for images: beside --out).")
    Path png;
    @Option(names = "--no-ema", description = "Use the raw weights instead of their exponential moving average.")
    boolean noEma;
    @Option(names = "--guidance", paramLabel = "W", description = "Classifier-free guidance weight of a class-conditional model: v = (1+W)·v(x|class) − W·v(x) (default: ${DEFAULT-VALUE}).")
    float guidance = 0f;
    @Option(names = "--class", paramLabel = "C", description = "Class of every sample of a conditional model; default: cycle through all classes (one grid column each).")
    Integer cls;
    @Option(names = "--backend", description = "Where the work runs: jvm (Vector API), scalar (reference loops), onednn (a U-Net's"
            + " convolutions through oneDNN) or cuda (an MLP's solver on an NVIDIA GPU: euler, midpoint, heun, rk4; a U-Net's"
            + " convolutions through cuDNN) (default: ${DEFAULT-VALUE}).")
    String backend = Backends.DEFAULT;
    @Option(names = "--cuda-lib-dir", paramLabel = "DIR", description = "Folder searched first for libcuda.so.1 and libcublas.so.* (--backend cuda).")
    Path cudaLibDir;

    @Override
    public Integer call() {
        if (n < 1 || n > 100_000_000) throw new UserError("--n must be in [1, 100000000], got " + n);
        if (!(atol > 0) || !(rtol > 0)) throw new UserError("--atol and --rtol must be > 0");
        Backends.check(backend);
        if (!Files.isRegularFile(model)) throw new UserError("no model file at " + model);
        coll = distributed.open(backend);
        int code = sample();
        coll.close(); // only on a clean end (see TrainCommand)
        return code;
    }

    /** One process, or the ranks of --distributed: each integrates its block of the points, rank 0 writes them all. */
    private Collective coll = Collective.SINGLE;

    private int sample() {
        try (Arena arena = Arena.ofShared(); Workspace ws = new Workspace(); Pool pool = new Pool(threads.checked());
             OdeSolver ode = Solvers.byName(solver, steps, atol, rtol)) {
            Checkpoint.Model m = Checkpoint.readModel(model, arena, !noEma);
            if (m.spec().isUnet()) return sampleImages(m, arena, ws, pool, ode);
            if (cls != null || guidance != 0) throw new UserError("--class and --guidance need a class-conditional U-Net model");
            dev.panflow.backend.Backend be = Backends.byName(backend);
            if (!be.runsMlp() && !be.name().equals(Backends.DEFAULT))
                System.err.println("note: --backend " + backend + " chooses who runs a U-Net's convolutions; this MLP runs on the JVM");
            MemoryBudget.check(MemoryBudget.samplingBytes(m.config().mlp(m.dim()), n), "--n " + n + " samples of this model");
            Mlp mlp = LoadedModel.mlp(m, model, pool, ws);
            AffinePath p = Paths.byName(m.config().path());
            Sampler.Result r;
            try (dev.panflow.sampling.FlowSampler s = be.mlpSampler(mlp, coll, new dev.panflow.backend.BackendOptions(cudaLibDir))) {
                r = s.sample(p, new dev.panflow.ode.SolverSpec(dev.panflow.ode.SolverKind.parse(solver), steps, atol, rtol), n, seed, null, 0f, ws);
            }
            if (!coll.isRoot()) return 0;
            Npy.write(out, r.samples());
            System.out.printf("%d samples, solver %s, NFE %d (%d steps accepted, %d rejected), %.3f s, %.0f samples/s -> %s%n",
                    n, ode.name(), r.stats().nfe(), r.stats().acceptedSteps(), r.stats().rejectedSteps(), r.seconds(),
                    n / r.seconds(), out);
            String q = Plots.quality(r.samples(), m.config().data());
            if (q != null) System.out.println(q);
            if (png != null) {
                Plots.scatter(r.samples(), m.config().data(), png, String.format("Panflow %s, %s NFE %d (%s weights)",
                        m.config().data(), ode.name(), r.stats().nfe(), m.ema() ? "EMA" : "raw"));
                System.out.println("wrote " + png);
            }
        }
        return 0;
    }

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    private int sampleImages(Checkpoint.Model m, Arena arena, Workspace ws, Pool pool, OdeSolver ode) {
        int[] shape = m.imageShape();
        int classes = m.classes();
        var pr = commandSpec.commandLine().getParseResult();
        if (!pr.hasMatchedOption("--n")) n = classes > 0 && cls == null ? 10 * classes : 64;
        if (classes == 0 && (cls != null || guidance != 0))
            throw new UserError(model + " is an unconditional model; --class and --guidance need one trained with --conditional");
        if (cls != null && (cls < 0 || cls >= classes)) throw new UserError("--class must be in [0, " + (classes - 1) + "], got " + cls);
        if (!(guidance >= 0 && guidance <= 100)) throw new UserError("--guidance must be in [0, 100], got " + guidance);
        try (ConvKernels conv = Backends.conv(backend, pool, cudaLibDir)) {
            UNet net = LoadedModel.unet(m, model, conv, pool, ws);
            AffinePath p = Paths.byName(m.config().path());
            int[] labels = ImageSampling.labels(n, classes, cls == null ? -1 : cls);
            Sampler.Result r = Sampler.sample(net, p, ode, n, seed, ws, labels, guidance, coll);
            if (!coll.isRoot()) return 0;
            Path grid = png != null ? png : siblingPng(out);
            ImageSampling.write(r, ode.name(), shape[0], shape[1], shape[2], cls == null ? classes : 0, out, grid);
        }
        return 0;
    }

    /** samples.npy → samples.png beside it. */
    private static Path siblingPng(Path npy) {
        String name = npy.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return npy.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".png");
    }
}
