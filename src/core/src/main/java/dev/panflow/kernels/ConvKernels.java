package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Convolution forward and backward over float32 segments in NCHW / KCRS layout (see
 * {@link ConvShape}). Implemented on the JVM with Vector API kernels and, optionally, by native
 * backends (native libraries, plugged in through dev.panflow.backend). All outputs are overwritten, never accumulated.
 */
public interface ConvKernels extends AutoCloseable {
    /** y = conv(x, w) + bias (bias [k], or {@link MemorySegment#NULL} for none). */
    void forward(ConvShape sh, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y);

    /** dx = ∂L/∂x given dy = ∂L/∂y. */
    void backwardData(ConvShape sh, MemorySegment dy, MemorySegment w, MemorySegment dx);

    /** dw = ∂L/∂w and db = ∂L/∂bias (db may be {@link MemorySegment#NULL}). */
    void backwardWeights(ConvShape sh, MemorySegment x, MemorySegment dy, MemorySegment dw, MemorySegment db);

    /** Name for messages and benchmarks, e.g. "jvm". */
    String name();

    @Override
    default void close() {}
}
