package dev.panflow.data;

import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/** Fixed (x0, x1) pairs held in memory; a batch draws pair indices uniformly with replacement. */
public final class PairedArraySource implements PairedDataSource {
    private final MemorySegment x0, x1;
    private final int n, dim;
    private final long rowBytes;
    private final String name;

    public PairedArraySource(Tensor x0, Tensor x1, String name) {
        if (x0.rank() != 2 || x1.rank() != 2 || x0.dim(0) != x1.dim(0) || x0.dim(1) != x1.dim(1) || x0.dim(0) == 0)
            throw new IllegalArgumentException("pairs need two non-empty tensors of one shape, got " + x0 + " and " + x1);
        this.x0 = x0.segment();
        this.x1 = x1.segment();
        this.n = x0.dim(0);
        this.dim = x0.dim(1);
        this.rowBytes = 4L * dim;
        this.name = name;
    }

    @Override public int dim() { return dim; }
    @Override public String name() { return name; }

    /** Pairs available. */
    public int pairs() { return n; }

    @Override
    public void samplePairs(Rng rng, MemorySegment out0, MemorySegment out1, int rows) {
        for (int r = 0; r < rows; r++) {
            long src = rng.nextInt(n) * rowBytes;
            MemorySegment.copy(x0, src, out0, r * rowBytes, rowBytes);
            MemorySegment.copy(x1, src, out1, r * rowBytes, rowBytes);
        }
    }

    /** x1 of random pairs (the data side alone). */
    @Override
    public void sample(Rng rng, MemorySegment out, int rows) {
        for (int r = 0; r < rows; r++) MemorySegment.copy(x1, rng.nextInt(n) * rowBytes, out, r * rowBytes, rowBytes);
    }
}
