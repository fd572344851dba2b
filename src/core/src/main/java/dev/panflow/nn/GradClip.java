package dev.panflow.nn;

import dev.panflow.kernels.Elementwise;

/** Global gradient-norm clipping: if ‖g‖₂ > max, g ← g·max/‖g‖₂. */
public final class GradClip {
    private GradClip() {}

    /** The global L2 norm of all gradients in the store. */
    public static double norm(ParamStore store) {
        return Math.sqrt(Elementwise.sumSquares(store.grads().segment(), store.flatSize()));
    }

    /** Clips to {@code maxNorm} (no-op when ≤ 0 or the norm is already small); returns the norm before clipping. */
    public static double clip(ParamStore store, double maxNorm) {
        double n = norm(store);
        if (maxNorm > 0 && n > maxNorm)
            Elementwise.scale(store.grads().segment(), (float) (maxNorm / n), store.grads().segment(), store.flatSize());
        return n;
    }
}
