package dev.panflow.nn;

import dev.panflow.kernels.Elementwise;
import java.lang.foreign.MemorySegment;

/** SiLU (swish): y = x·σ(x); dy/dx = σ(x)·(1 + x·(1 − σ(x))). Stateless. */
public final class Silu {
    private Silu() {}

    public static void forward(MemorySegment x, MemorySegment y, long n) {
        Elementwise.silu(x, y, n);
    }

    /** dx = dy · silu'(x), with x the forward input. */
    public static void backward(MemorySegment x, MemorySegment dy, MemorySegment dx, long n) {
        Elementwise.siluBackward(x, dy, dx, n);
    }

    /**
     * Forward mode: ẏ = silu'(x)·ẋ. The Jacobian is diagonal, so this is the backward kernel
     * applied to the tangent (one kernel, with its scalar twin, for both directions).
     */
    public static void jvp(MemorySegment x, MemorySegment dxTangent, MemorySegment dyTangent, long n) {
        Elementwise.siluBackward(x, dxTangent, dyTangent, n);
    }
}
