package dev.panflow.nn;

import dev.panflow.tensor.Tensor;

/**
 * One named parameter: its value and gradient are views into the flat buffers of a
 * {@link ParamStore}, so the optimizer, EMA and gradient clipping each run as one kernel
 * over all parameters at once.
 */
public final class Param {
    private final String name;
    private final int[] shape;
    private final long offset;
    private final long size;
    Tensor value;
    Tensor grad;

    Param(String name, int[] shape, long offset) {
        this.name = name;
        this.shape = shape.clone();
        long n = 1;
        for (int d : shape) n *= d;
        this.size = n;
        this.offset = offset;
    }

    public String name() { return name; }
    public int[] shape() { return shape.clone(); }
    public long size() { return size; }
    /** Offset in floats inside the store's flat buffers. */
    public long offset() { return offset; }

    public Tensor value() {
        if (value == null) throw new IllegalStateException("ParamStore.allocate() not called yet");
        return value;
    }

    public Tensor grad() {
        if (grad == null) throw new IllegalStateException("ParamStore.allocate() not called yet");
        return grad;
    }
}
