package dev.panflow.data;

import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;

/**
 * Where training batches of x1 (data, t = 1) come from. {@link #sample} runs every training
 * step, so implementations must not allocate on the heap per call.
 */
public interface DataSource {
    /** Coordinates per point. */
    int dim();

    /** Writes {@code rows × dim()} float32 values, row-major, to the start of {@code out}. */
    void sample(Rng rng, MemorySegment out, int rows);

    /** A short name for logs and checkpoint metadata. */
    String name();
}
