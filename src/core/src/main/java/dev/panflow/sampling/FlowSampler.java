package dev.panflow.sampling;

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

    @Override
    default void close() {}
}
