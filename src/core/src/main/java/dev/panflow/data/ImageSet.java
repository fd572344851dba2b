package dev.panflow.data;

import java.lang.foreign.MemorySegment;

/** Images that can be read one by one, in a fixed order (epochs, held-out evaluation, FID). */
public interface ImageSet extends ImageDataSource {
    /** Number of images. */
    int size();

    /** Copies image {@code i} (C·H·W floats in [−1, 1]) to {@code out} at float index {@code offset}. */
    void copyImage(int i, MemorySegment out, long offset);

    /** The class of image {@code i} (0 when the set has no labels). */
    int label(int i);
}
