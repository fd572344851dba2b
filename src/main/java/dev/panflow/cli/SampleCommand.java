package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.io.Npy;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.Mlp;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.Solvers;
import dev.panflow.path.AffinePath;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Workspace;
import dev.panflow.train.Checkpoint;
import dev.panflow.train.Sampler;
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
    @Option(names = "--n", description = "Number of samples (default: ${DEFAULT-VALUE}).")
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
    @Option(names = "--out", paramLabel = "FILE.npy", description = "Where to write the samples (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("samples.npy");
    @Option(names = "--png", paramLabel = "FILE.png", description = "Also write a scatter plot (2-D data).")
    Path png;
    @Option(names = "--no-ema", description = "Use the raw weights instead of their exponential moving average.")
    boolean noEma;
    @Option(names = "--backend", description = "Where the solver runs: jvm (default) or cuda (NVIDIA GPU; euler, midpoint, heun, rk4) (default: ${DEFAULT-VALUE}).")
    String backend = "jvm";
    @Option(names = "--cuda-lib-dir", paramLabel = "DIR", description = "Folder searched first for libcuda.so.1 and libcublas.so.* (--backend cuda).")
    Path cudaLibDir;

    @Override
    public Integer call() {
        if (n < 1 || n > 100_000_000) throw new UserError("--n must be in [1, 100000000], got " + n);
        if (!(atol > 0) || !(rtol > 0)) throw new UserError("--atol and --rtol must be > 0");
        if (!Files.isRegularFile(model)) throw new UserError("no model file at " + model);
        Backends.check(backend);
        try (Arena arena = Arena.ofShared(); Workspace ws = new Workspace(); Pool pool = new Pool(threads.checked());
             OdeSolver ode = Solvers.byName(solver, steps, atol, rtol)) {
            Checkpoint.Model m = Checkpoint.readModel(model, arena, !noEma);
            Mlp mlp = new Mlp(m.config().mlp(m.dim()), pool, ws);
            Checkpoint.loadWeights(mlp.params(), m.weights(), model);
            AffinePath p = Paths.byName(m.config().path());
            Sampler.Result r;
            if (Backends.isCuda(backend)) {
                try (dev.panflow.cuda.Gpu gpu = dev.panflow.cuda.Gpu.open(cudaLibDir);
                     dev.panflow.cuda.CudaMlp cm = new dev.panflow.cuda.CudaMlp(gpu, mlp)) {
                    r = dev.panflow.cuda.CudaSampler.sample(cm, p, solver, steps, n, seed, ws);
                }
            } else {
                r = Sampler.sample(mlp, p, ode, n, seed, ws);
            }
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
}
