package dev.panflow.ode;

import dev.panflow.kernels.Pool;

/**
 * A velocity field whose rows are independent and that several threads can evaluate at once,
 * each through an evaluator of its own on a chunk of rows. The fixed-step solvers then give each
 * thread whole chunks for the whole time span: no hand-off between threads per step or layer, and
 * a chunk's state stays in cache from one step to the next. Rows are independent, so the result
 * is the same as integrating all rows together.
 */
public interface ChunkedField extends VelocityField {
    /** Most rows one slot evaluates at once. */
    int chunkRows();

    /** The threads that run chunks: slots 0 … pool().threads() − 1. */
    Pool pool();

    /** The evaluator of slot s: used by one thread at a time, at most {@link #chunkRows()} rows per eval. */
    VelocityField slot(int s);

    /**
     * Called on the solving thread before the slots evaluate (once per solve): a field may
     * prepare what every slot reads, e.g. pack its weights once for all threads and steps.
     */
    default void prepareSlots() {}
}
