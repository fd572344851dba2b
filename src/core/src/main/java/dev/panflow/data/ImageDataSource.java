package dev.panflow.data;

import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;

/**
 * Images (rows of channels × height × width floats, NCHW) with an optional class label per
 * image, for convolutional velocity fields and class-conditional training.
 */
public interface ImageDataSource extends DataSource {
    int channels();
    int height();
    int width();

    /** Number of classes (labels are 0 … classes − 1), or 0 when the set has no labels. */
    int classes();

    /** Like {@link #sample(Rng, MemorySegment, int)}, also writing each drawn image's label to {@code labels}. */
    void sample(Rng rng, MemorySegment out, int[] labels, int rows);

    @Override
    default int dim() { return channels() * height() * width(); }
}
