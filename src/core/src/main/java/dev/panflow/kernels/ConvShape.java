package dev.panflow.kernels;

import dev.panflow.UserError;

/**
 * A 2-D convolution's shapes: input x [n×c×h×w] (NCHW), weights [k×c×r×s] (KCRS), output y
 * [n×k×outH×outW], square stride and zero padding on every side.
 */
public record ConvShape(int n, int c, int h, int w, int k, int r, int s, int stride, int pad) {
    public ConvShape {
        if (n < 1 || c < 1 || h < 1 || w < 1 || k < 1 || r < 1 || s < 1 || stride < 1 || pad < 0)
            throw new UserError("bad convolution shape " + this);
        if (h + 2 * pad < r || w + 2 * pad < s)
            throw new UserError("convolution kernel " + r + "×" + s + " larger than padded input " + (h + 2 * pad) + "×" + (w + 2 * pad));
    }

    public int outH() { return (h + 2 * pad - r) / stride + 1; }
    public int outW() { return (w + 2 * pad - s) / stride + 1; }
    public long xSize() { return (long) n * c * h * w; }
    public long wSize() { return (long) k * c * r * s; }
    public long ySize() { return (long) n * k * outH() * outW(); }
    /** Multiply-adds of one forward pass, ×2 for flops. */
    public double flops() { return 2.0 * ySize() * c * r * s; }
}
