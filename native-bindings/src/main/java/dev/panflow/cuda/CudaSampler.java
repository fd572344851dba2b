package dev.panflow.cuda;

import dev.panflow.ode.SolveStats;
import dev.panflow.path.AffinePath;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import dev.panflow.sampling.Sampler;

/**
 * Generation on the GPU: the same noise as the JVM {@link Sampler} (drawn on the host from the
 * seed and copied up once), the ODE solved on the device, the samples copied back once.
 */
public final class CudaSampler {
    /** Floats of activations a sampling pass may hold (1 GiB): the chunk of rows evaluated at once. */
    static final long ACTIVATION_FLOATS = 1L << 28;

    private CudaSampler() {}

    /** Rows per forward pass: all n when their activations fit in {@link #ACTIVATION_FLOATS}. */
    static int chunkRows(CudaMlp mlp, int n) {
        long perRow = (long) mlp.hidden() * mlp.layers() + 64L + 2L * mlp.dim();
        return (int) Math.max(1, Math.min(n, ACTIVATION_FLOATS / perRow));
    }

    /** The network's forward pass as an ODE field, in chunks of rows. */
    public static CudaOdeSolver.Field field(CudaMlp mlp, CudaMlp.Activations acts) {
        int dim = mlp.dim();
        return (t, x, out, rows) -> {
            for (int r0 = 0; r0 < rows; r0 += acts.capacity()) {
                int n = Math.min(acts.capacity(), rows - r0);
                mlp.forward(acts, x + 4L * r0 * dim, 0L, t, n, out + 4L * r0 * dim, false);
            }
        };
    }

    /** Draws n samples with the model's current device weights; returns them in a tensor of {@code ws}. */
    public static Sampler.Result sample(CudaMlp mlp, AffinePath path, String solver, int steps, int n, long seed,
                                        Workspace ws) {
        Gpu gpu = mlp.gpu;
        gpu.makeCurrent();
        Tensor x = ws.tensor(n, mlp.dim());
        new Rng(seed).fillGaussian(x.segment(), x.size(), path.noiseStd());
        try (DeviceTensor xd = gpu.allocate(x.size()).upload(x);
             CudaMlp.Activations acts = mlp.inferenceActivations(chunkRows(mlp, n));
             CudaOdeSolver ode = new CudaOdeSolver(gpu, solver, steps, x.size())) {
            gpu.sync();
            long start = System.nanoTime();
            SolveStats stats = ode.solve(field(mlp, acts), xd, n, x.size(), 0f, path.tMax());
            gpu.sync();
            double seconds = (System.nanoTime() - start) * 1e-9;
            xd.download(x);
            return new Sampler.Result(x, stats, seconds);
        }
    }
}
