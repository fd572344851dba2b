package dev.panflow.nn;

import dev.panflow.ode.VjpField;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;

/**
 * A trainable velocity field v_θ(x, t[, class]) over rows of {@link #dim()} floats, with its
 * parameters in one {@link ParamStore} (so AdamW, EMA and checkpoints treat every model alike).
 * Buffers for up to {@link #reserve}d rows are made once and reused by forward/backward.
 */
public interface FlowModel {
    /** "mlp" or "unet": recorded in checkpoints so sampling rebuilds the same model. */
    String kind();

    int dim();

    /** Classes of a conditional model (labels 0 … classes − 1, and {@code classes} = "no class"); 0 if unconditional. */
    default int classes() { return 0; }

    ParamStore params();

    void init(Rng rng);

    /** Makes buffers for batches of up to {@code rows} rows (no-op when already large enough). */
    void reserve(int rows);

    /** v for rows with their own times t[rows] (and labels, or null); returns the output buffer. */
    MemorySegment forward(MemorySegment x, MemorySegment t, int[] labels, int rows);

    /** v with every row at time t. */
    MemorySegment forward(MemorySegment x, float t, int[] labels, int rows);

    /**
     * Marks the next forward pass as the training pass of optimizer step {@code step} over rows
     * firstRow … of the global batch: a model that trains with dropout draws that pass's masks
     * from streams keyed by the step and the rows. Every other pass (sampling, likelihood, a
     * loss's stop-gradient targets) runs without dropout. A no-op for models without dropout.
     */
    default void trainingPass(long step, long firstRow) {}

    /** Backpropagates dL/dv through the last forward pass, overwriting the parameter gradients. */
    default void backward(MemorySegment dOut, int rows) { backward(dOut, null, rows); }

    /**
     * The same, and dL/dx (rows × dim) into {@code dx} unless it is null: with dOut = u, the
     * vector–Jacobian product uᵀ ∂v/∂x a log-likelihood's divergence needs. The forward pass's
     * state is kept, so several products may follow one forward pass.
     */
    void backward(MemorySegment dOut, MemorySegment dx, int rows);

    /** Rows per network evaluation when many points are integrated at once (bounds activation memory). */
    default int chunkRows() { return 64; }

    /**
     * This model as the ODE solvers see it, {@code chunkRows} rows per pass, with vector–Jacobian
     * products after a pass of at most that many rows. {@code labels} (per row, or null for the
     * null class of a conditional model) and the guidance weight w apply to conditional models;
     * buffers come from {@code ws}. Models with a faster evaluator of their own override it.
     */
    default VjpField field(Workspace ws, int chunkRows, int[] labels, float guidance) {
        return new FlowModelField(this, ws, chunkRows, labels, guidance);
    }
}
