package dev.panflow.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A float32 tensor: a shape and row-major strides (in elements) over an off-heap
 * {@link MemorySegment}. The segment's {@link Arena} owns the memory; a tensor never frees it.
 * Kernels take {@link #segment()} directly; tensors made here are always contiguous.
 */
public final class Tensor {
    /** Byte alignment of every allocation: one cache line, so vector loads never split. */
    public static final long ALIGNMENT = 64;
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final MemorySegment segment;
    private final int[] shape;
    private final long[] strides;
    private final long size;

    private Tensor(MemorySegment segment, int[] shape) {
        this.shape = shape.clone();
        this.strides = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            strides[d] = s;
            s *= shape[d];
        }
        this.size = s;
        if (segment.byteSize() < 4L * s)
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes is too small for shape " + Arrays.toString(shape));
        this.segment = segment.byteSize() == 4L * s ? segment : segment.asSlice(0, 4L * s);
    }

    /** A zero-filled tensor of the given shape in {@code arena}. */
    public static Tensor allocate(Arena arena, int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return new Tensor(arena.allocate(Math.max(4L * n, 4L), ALIGNMENT), shape);
    }

    /** A tensor that views an existing segment (no copy). */
    public static Tensor wrap(MemorySegment segment, int... shape) {
        return new Tensor(segment, shape);
    }

    /** A tensor holding a copy of {@code data}. */
    public static Tensor of(Arena arena, float[] data, int... shape) {
        Tensor t = allocate(arena, shape);
        if (data.length != t.size)
            throw new IllegalArgumentException(data.length + " values for shape " + Arrays.toString(shape));
        MemorySegment.copy(data, 0, t.segment, F32, 0, data.length);
        return t;
    }

    public MemorySegment segment() { return segment; }
    public int[] shape() { return shape.clone(); }
    public long[] strides() { return strides.clone(); }
    public int rank() { return shape.length; }
    public int dim(int d) { return shape[d]; }
    public long size() { return size; }

    /** Rows of a matrix view: the first dimension (1 for a scalar). */
    public int rows() { return shape.length == 0 ? 1 : shape[0]; }

    /** Columns of a matrix view: the product of all dimensions after the first. */
    public int cols() { return shape.length == 0 ? 1 : (int) (size / Math.max(1, shape[0])); }

    public float get(long i) { return segment.getAtIndex(F32, i); }
    public void set(long i, float v) { segment.setAtIndex(F32, i, v); }
    public float get(int r, int c) { return segment.getAtIndex(F32, r * strides[0] + c); }
    public void set(int r, int c, float v) { segment.setAtIndex(F32, r * strides[0] + c, v); }

    public void fill(float v) {
        for (long i = 0; i < size; i++) segment.setAtIndex(F32, i, v);
    }

    public void zero() { segment.fill((byte) 0); }

    public void copyFrom(Tensor src) {
        if (src.size != size) throw new IllegalArgumentException("size " + src.size + " != " + size);
        MemorySegment.copy(src.segment, 0, segment, 0, 4L * size);
    }

    public void copyFrom(float[] src) {
        if (src.length != size) throw new IllegalArgumentException("size " + src.length + " != " + size);
        MemorySegment.copy(src, 0, segment, F32, 0, src.length);
    }

    public float[] toArray() {
        float[] out = new float[(int) size];
        MemorySegment.copy(segment, F32, 0, out, 0, out.length);
        return out;
    }



    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
