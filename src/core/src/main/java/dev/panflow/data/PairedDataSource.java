package dev.panflow.data;

import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;

/**
 * Training data given as fixed (x0, x1) pairs instead of x1 alone (rectified-flow reflow: x0
 * noise, x1 what a trained flow made of it). x0 is on the trainer's standard-normal scale
 * (σ_t multiplies it). Like {@link DataSource#sample}, allocation-free.
 */
public interface PairedDataSource extends DataSource {
    /** Writes rows pairs, row-major rows × dim() each; the same row index in both is one pair. */
    void samplePairs(Rng rng, MemorySegment x0, MemorySegment x1, int rows);
}
