package dev.panflow.nn;

import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.ConvShape;
import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;

/**
 * 2-D convolution layer over NCHW images of a fixed size h × w, weights [out × in × k × k]
 * and a bias per output channel, run by a {@link ConvKernels} backend (JVM or native).
 */
public final class Conv2d {
    public final int in, out, kernel, stride, pad, h, w;
    public final Param weight, bias;
    private final ConvKernels conv;
    private ConvShape shape; // cached for the last batch size: no allocation per call

    public Conv2d(ParamStore store, ConvKernels conv, String name, int in, int out, int kernel, int stride, int pad, int h, int w) {
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.pad = pad;
        this.h = h;
        this.w = w;
        this.conv = conv;
        this.weight = store.declare(name + ".weight", out, in, kernel, kernel);
        this.bias = store.declare(name + ".bias", out);
        this.shape = new ConvShape(1, in, h, w, out, kernel, kernel, stride, pad);
    }

    public int outH() { return shape.outH(); }
    public int outW() { return shape.outW(); }

    ConvShape shape(int n) {
        if (shape.n() != n) shape = new ConvShape(n, in, h, w, out, kernel, kernel, stride, pad);
        return shape;
    }

    /** PyTorch's default: W, b ~ U(−1/√fan_in, 1/√fan_in), fan_in = in·k². */
    public void init(Rng rng) {
        float bound = (float) (1.0 / Math.sqrt((double) in * kernel * kernel));
        rng.fillUniform(weight.value().segment(), weight.size(), -bound, bound);
        rng.fillUniform(bias.value().segment(), bias.size(), -bound, bound);
    }

    /** Zero weights and bias (a residual branch or output layer that starts as a no-op). */
    public void zero() {
        weight.value().zero();
        bias.value().zero();
    }

    public void forward(MemorySegment x, MemorySegment y, int n) {
        conv.forward(shape(n), x, weight.value().segment(), bias.value().segment(), y);
    }

    private MemorySegment zeroBias; // jvp: the bias is constant, so the tangent convolution has none

    /** Forward mode: ẏ = conv(ẋ, W), the tangent of the output for an input tangent ẋ (linear in x; no bias). */
    public void jvp(MemorySegment dx, MemorySegment dy, int n) {
        if (zeroBias == null) zeroBias = java.lang.foreign.Arena.ofAuto().allocate(4L * out, 64); // zeroed, made once
        conv.forward(shape(n), dx, weight.value().segment(), zeroBias, dy);
    }

    /** Overwrites the weight and bias gradients; writes dL/dx to {@code dx} unless it is null. */
    public void backward(MemorySegment x, MemorySegment dy, MemorySegment dx, int n) {
        ConvShape sh = shape(n);
        conv.backwardWeights(sh, x, dy, weight.grad().segment(), bias.grad().segment());
        if (dx != null) conv.backwardData(sh, dy, weight.value().segment(), dx);
    }
}
