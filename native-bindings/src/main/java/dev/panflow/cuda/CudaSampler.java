package dev.panflow.cuda;

import dev.panflow.ode.SolveStats;
import dev.panflow.path.AffinePath;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import dev.panflow.train.Sampler;

/**
 * Generation on the GPU: the same noise as the JVM {@link Sampler} (drawn on the host from the
 * seed and copied up once), the ODE solved on the device, the samples copied back once.
 */
public final class CudaSampler {
    /** Rows the network evaluates at once on the GPU. */
    public static final int CHUNK_ROWS = 1 << 16;

    private CudaSampler() {}

    /** The network's forward pass as an ODE field, in chunks of rows. */
    public static CudaOdeSolver.Field field(CudaMlp mlp, CudaMlp.Activations acts) {
        int dim = mlp.dim();
        return (t, x, out, rows) -> {
            for (int r0 = 0; r0 < rows; r0 += acts.capacity()) {
                int n = Math.min(acts.capacity(), rows - r0);
                long v = mlp.forward(acts, x + 4L * r0 * dim, 0L, t, n);
                mlp.gpu.copy(out + 4L * r0 * dim, v, (long) n * dim);
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
             CudaMlp.Activations acts = mlp.activations(Math.min(n, CHUNK_ROWS));
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
