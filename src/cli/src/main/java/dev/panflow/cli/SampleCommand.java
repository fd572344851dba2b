package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.api.Flow;
import dev.panflow.api.LoadOptions;
import dev.panflow.api.ModelInfo;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.Samples;
import dev.panflow.backend.Backend;
import dev.panflow.dist.Collective;
import dev.panflow.io.Npy;
import dev.panflow.ode.SolverKind;
import dev.panflow.tensor.Tensor;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draw samples from a trained model by integrating dx/dt = v(x, t) from noise (t = 0) to data (t = 1).",
                "Prints the number of function evaluations (NFE) and the wall time."})
final class SampleCommand implements Callable<Integer> {
    @Mixin
    ModelSource source = new ModelSource();
    @Option(names = "--n", description = "Number of samples (default: ${DEFAULT-VALUE}; for images 64, or 10 per class for a conditional model).")
    int n = 10000;
    @Mixin
    SolverOptions solver = new SolverOptions("euler");
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
    @Option(names = "--no-png", description = "Images: write no grid PNG (large runs, e.g. samples for 'panflow eval fid').")
    boolean noPng;
    @Option(names = "--no-ema", description = "Use the raw weights instead of their exponential moving average.")
    boolean noEma;
    @Option(names = "--guidance", paramLabel = "W", description = "Classifier-free guidance weight of a class-conditional model: v = (1+W)·v(x|class) − W·v(x) (default: ${DEFAULT-VALUE}).")
    float guidance = 0f;
    @Option(names = "--class", paramLabel = "C", description = "Class of every sample of a conditional model; default: cycle through all classes (one grid column each).")
    Integer cls;
    @Mixin
    BackendOptions backend;
    @Mixin
    ProgressOptions progressOptions;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    /** One process, or the ranks of --distributed: each integrates its block of the points, rank 0 writes them all. */
    private Collective coll = Collective.SINGLE;

    @Override
    public Integer call() {
        if (n < 1 || n > 100_000_000) throw new UserError("--n must be in [1, 100000000], got " + n);
        SampleRequest req = solver.request(n).seed(seed);
        Backend be = backend.backend();
        source.check();
        coll = distributed.open(backend.name);
        LoadOptions opts = LoadOptions.defaults().ema(!noEma).backend(be.name()).threads(threads.checked())
                .maxConcurrentCalls(1).libraryDir(backend.libraryDir).collective(coll);
        try (Flow flow = source.open(opts)) {
            ModelInfo info = flow.info();
            if (info.isImageModel()) sampleImages(flow, info, req);
            else sampleRows(flow, info, req);
        }
        coll.close(); // only on a clean end (see TrainCommand)
        return 0;
    }

    private void sampleRows(Flow flow, ModelInfo info, SampleRequest req) {
        if (cls != null || guidance != 0) throw new UserError("--class and --guidance need a class-conditional U-Net model");
        backend.noteIfMlpStaysOnJvm();
        Samples s = sample(flow, req);
        if (!coll.isRoot()) return;
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = ImageSampling.tensor(s, arena);
            Npy.write(out, x);
            System.out.printf("%d samples, solver %s, NFE %d (%d steps accepted, %d rejected), %.3f s, %.0f samples/s -> %s%n",
                    n, s.solver(), s.nfe(), s.acceptedSteps(), s.rejectedSteps(), s.seconds(), n / s.seconds(), out);
            perPoint(s);
            String q = Plots.quality(x, info.data());
            if (q != null) System.out.println(q);
            if (png != null) {
                Plots.scatter(x, info.data(), png, String.format("Panflow %s, %s NFE %d (%s weights)",
                        info.data(), s.solver(), s.nfe(), info.ema() ? "EMA" : "raw"));
                System.out.println("wrote " + png);
            }
        }
    }

    private void sampleImages(Flow flow, ModelInfo info, SampleRequest req) {
        int[] shape = info.imageShape();
        int classes = info.classes();
        var pr = commandSpec.commandLine().getParseResult();
        if (!pr.hasMatchedOption("--n")) n = classes > 0 && cls == null ? 10 * classes : 64;
        if (classes == 0 && (cls != null || guidance != 0))
            throw new UserError(source.describe() + " is an unconditional model; --class and --guidance need one trained with --conditional");
        if (cls != null && (cls < 0 || cls >= classes)) throw new UserError("--class must be in [0, " + (classes - 1) + "], got " + cls);
        if (!(guidance >= 0 && guidance <= 100)) throw new UserError("--guidance must be in [0, 100], got " + guidance);
        req = req.n(n).guidance(guidance);
        if (cls != null) req = req.classLabel(cls);
        Samples s = sample(flow, req);
        if (!coll.isRoot()) return;
        if (noPng && png != null) throw new UserError("--png and --no-png together");
        Path grid = noPng ? null : png != null ? png : siblingPng(out);
        ImageSampling.write(s, s.solver(), shape[0], shape[1], shape[2], cls == null ? classes : 0, out, grid);
        perPoint(s);
    }

    /** The samples, with a progress bar on rank 0. */
    private Samples sample(Flow flow, SampleRequest req) {
        if (!coll.isRoot()) return flow.sampleWithStats(req);
        SampleProgress progress = new SampleProgress("sample", req.n(), progressOptions);
        Samples s = flow.sampleWithStats(req, progress);
        progress.finish(s);
        return s;
    }

    /** dopri5-point: what each point cost, the network's row evaluations, and the points that stopped early. */
    static void perPoint(Samples s) {
        if (!s.solver().equals(SolverKind.DOPRI5_POINT.id())) return;
        System.out.printf("NFE per point: mean %.1f, max %d; %d network row evaluations (n × mean)%n",
                s.nfeMeanPerPoint(), s.nfeMaxPerPoint(), s.pointEvaluations());
        if (s.unfinishedPoints() > 0)
            System.err.printf("warning: %d of %d points did not reach t_max (step bound); they hold their last state%n",
                    s.unfinishedPoints(), s.n());
    }

    /** samples.npy → samples.png beside it. */
    private static Path siblingPng(Path npy) {
        String name = npy.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return npy.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".png");
    }
}
