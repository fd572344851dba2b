package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.api.Flow;
import dev.panflow.api.LoadOptions;
import dev.panflow.api.ModelInfo;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.Samples;
import dev.panflow.backend.Backend;
import dev.panflow.backend.Backends;
import dev.panflow.dist.Collective;
import dev.panflow.io.Npy;
import dev.panflow.ode.SolverKind;
import dev.panflow.tensor.Tensor;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
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

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    /** One process, or the ranks of --distributed: each integrates its block of the points, rank 0 writes them all. */
    private Collective coll = Collective.SINGLE;

    @Override
    public Integer call() {
        if (n < 1 || n > 100_000_000) throw new UserError("--n must be in [1, 100000000], got " + n);
        if (!(atol > 0) || !(rtol > 0)) throw new UserError("--atol and --rtol must be > 0");
        Backend be = Backends.byName(backend);
        SolverKind kind = SolverKind.parse(solver);
        if (kind.fixedStep() && steps < 1) throw new UserError("steps must be at least 1, got " + steps);
        if (!Files.isRegularFile(model)) throw new UserError("no model file at " + model);
        coll = distributed.open(backend);
        LoadOptions opts = LoadOptions.defaults().ema(!noEma).backend(be.name()).threads(threads.checked())
                .maxConcurrentCalls(1).libraryDir(cudaLibDir).collective(coll);
        try (Flow flow = Flow.load(model, opts)) {
            ModelInfo info = flow.info();
            if (info.isImageModel()) sampleImages(flow, info, kind);
            else sampleRows(flow, info, be, kind);
        }
        coll.close(); // only on a clean end (see TrainCommand)
        return 0;
    }

    private SampleRequest request(SolverKind kind) {
        return SampleRequest.of(n).solver(kind).steps(Math.max(1, steps)).tolerances(atol, rtol).seed(seed);
    }

    private void sampleRows(Flow flow, ModelInfo info, Backend be, SolverKind kind) {
        if (cls != null || guidance != 0) throw new UserError("--class and --guidance need a class-conditional U-Net model");
        if (!be.runsMlp() && !be.name().equals(Backends.DEFAULT))
            System.err.println("note: --backend " + backend + " chooses who runs a U-Net's convolutions; this MLP runs on the JVM");
        Samples s = flow.sampleWithStats(request(kind));
        if (!coll.isRoot()) return;
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = ImageSampling.tensor(s, arena);
            Npy.write(out, x);
            System.out.printf("%d samples, solver %s, NFE %d (%d steps accepted, %d rejected), %.3f s, %.0f samples/s -> %s%n",
                    n, s.solver(), s.nfe(), s.acceptedSteps(), s.rejectedSteps(), s.seconds(), n / s.seconds(), out);
            String q = Plots.quality(x, info.data());
            if (q != null) System.out.println(q);
            if (png != null) {
                Plots.scatter(x, info.data(), png, String.format("Panflow %s, %s NFE %d (%s weights)",
                        info.data(), s.solver(), s.nfe(), info.ema() ? "EMA" : "raw"));
                System.out.println("wrote " + png);
            }
        }
    }

    private void sampleImages(Flow flow, ModelInfo info, SolverKind kind) {
        int[] shape = info.imageShape();
        int classes = info.classes();
        var pr = commandSpec.commandLine().getParseResult();
        if (!pr.hasMatchedOption("--n")) n = classes > 0 && cls == null ? 10 * classes : 64;
        if (classes == 0 && (cls != null || guidance != 0))
            throw new UserError(model + " is an unconditional model; --class and --guidance need one trained with --conditional");
        if (cls != null && (cls < 0 || cls >= classes)) throw new UserError("--class must be in [0, " + (classes - 1) + "], got " + cls);
        if (!(guidance >= 0 && guidance <= 100)) throw new UserError("--guidance must be in [0, 100], got " + guidance);
        SampleRequest req = request(kind).guidance(guidance);
        if (cls != null) req = req.classLabel(cls);
        Samples s = flow.sampleWithStats(req);
        if (!coll.isRoot()) return;
        Path grid = png != null ? png : siblingPng(out);
        ImageSampling.write(s, s.solver(), shape[0], shape[1], shape[2], cls == null ? classes : 0, out, grid);
    }

    /** samples.npy → samples.png beside it. */
    private static Path siblingPng(Path npy) {
        String name = npy.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return npy.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".png");
    }
}
