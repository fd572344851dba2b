package dev.panflow.data;

import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/** User data held in memory (rows × dim); batches draw rows uniformly with replacement. */
public final class ArrayDataSource implements DataSource {
    private final MemorySegment data;
    private final int n, dim;
    private final long rowBytes;
    private final String name;

    public ArrayDataSource(Tensor data) { this(data, "array"); }

    public ArrayDataSource(Tensor data, String name) {
        if (data.rank() != 2) throw new IllegalArgumentException("expected rows × dim, got " + data);
        if (data.dim(0) == 0 || data.dim(1) == 0) throw new IllegalArgumentException("empty data " + data);
        this.data = data.segment();
        this.n = data.dim(0);
        this.dim = data.dim(1);
        this.rowBytes = 4L * dim;
        this.name = name;
    }

    @Override
    public int dim() { return dim; }

    /** Rows available to draw from. */
    public int rows() { return n; }

    @Override
    public String name() { return name; }

    /** All rows (rows() × dim() floats, row-major), for backends that copy the data to a device. */
    public MemorySegment rowsSegment() { return data.asSlice(0, rowBytes * n); }

    @Override
    public void sample(Rng rng, MemorySegment out, int rows) {
        if (out.byteSize() < rowBytes * rows)
            throw new IllegalArgumentException(rows + " rows need " + rowBytes * rows + " bytes, segment has " + out.byteSize());
        for (int r = 0; r < rows; r++)
            MemorySegment.copy(data, rng.nextInt(n) * rowBytes, out, r * rowBytes, rowBytes);
    }

    /** Copies rows [from, from + rows) in file order to the start of {@code out} (evaluation sets). */
    public void copyRows(int from, int rows, MemorySegment out) {
        if (from < 0 || rows < 0 || from + rows > n) throw new IllegalArgumentException("rows [" + from + ", " + (from + rows) + ") of " + n);
        MemorySegment.copy(data, from * rowBytes, out, 0, rows * rowBytes);
    }
}
