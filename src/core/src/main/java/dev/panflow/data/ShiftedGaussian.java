package dev.panflow.data;

import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;

/**
 * Synthetic data x1 = mean + std·z, z ~ N(0, I) in {@code dim} dimensions: the PyTorch
 * reference benchmark's data for dim ≠ 2 (N(0, I)·2 + 1). Used by {@code panflow bench}.
 */
public final class ShiftedGaussian implements DataSource {
    private final int dim;
    private final float mean, std;

    public ShiftedGaussian(int dim, float mean, float std) {
        if (dim < 1) throw new IllegalArgumentException("dim must be ≥ 1, got " + dim);
        this.dim = dim;
        this.mean = mean;
        this.std = std;
    }

    @Override
    public int dim() { return dim; }

    @Override
    public void sample(Rng rng, MemorySegment out, int rows) {
        long n = (long) rows * dim;
        rng.fillGaussian(out, n, mean, std);
    }

    @Override
    public String name() { return "gaussian" + dim; }
}
