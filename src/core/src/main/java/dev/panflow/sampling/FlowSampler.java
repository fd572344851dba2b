package dev.panflow.sampling;

import dev.panflow.ode.SolveListener;
import dev.panflow.ode.SolverSpec;
import dev.panflow.path.AffinePath;
import dev.panflow.tensor.Workspace;

/**
 * Draws samples from one network: x0 ~ N(0, σ_0² I) from {@code seed}, then dx/dt = v_θ(x, t)
 * from t = 0 to the path's t_max. The JVM's ({@link Sampler#onJvm}) and a device backend's
 * implement it alike.
 */
public interface FlowSampler extends AutoCloseable {
    /**
     * n samples into a tensor of {@code ws}; {@code labels} (one per sample, or null) condition a
     * class-conditional model, {@code guidance} is the classifier-free guidance weight w.
     */
    Sampler.Result sample(AffinePath path, SolverSpec solver, int n, long seed, int[] labels, float guidance, Workspace ws);

    /**
     * The same samples, telling {@code listener} how the solve goes between its steps. By default
     * (a device sampler that solves in one call) it hears only the end.
     */
    default Sampler.Result sample(AffinePath path, SolverSpec solver, int n, long seed, int[] labels, float guidance, Workspace ws,
                                  SolveListener listener) {
        Sampler.Result r = sample(path, solver, n, seed, labels, guidance, ws);
        listener.onProgress(1.0, r.stats().nfe());
        return r;
    }

    @Override
    default void close() {}
}
