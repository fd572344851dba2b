package dev.panflow.data;

import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Shared plumbing of the 2-D toy sets: dimension check and float stores. */
abstract class Toy2D implements DataSource {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public final int dim() { return 2; }

    @Override
    public final void sample(Rng rng, MemorySegment out, int rows) {
        if (rows < 0) throw new IllegalArgumentException("rows = " + rows);
        if (out.byteSize() < 8L * rows)
            throw new IllegalArgumentException(rows + " rows of 2 floats need " + 8L * rows + " bytes, segment has " + out.byteSize());
        for (int r = 0; r < rows; r++) point(rng, out, 2L * r);
    }

    /** Writes one point at float index {@code i} (x) and {@code i + 1} (y). */
    abstract void point(Rng rng, MemorySegment out, long i);

    static void put(MemorySegment out, long i, double x, double y) {
        out.setAtIndex(F32, i, (float) x);
        out.setAtIndex(F32, i + 1, (float) y);
    }
}
