package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Plain-loop reference twin of {@link Adam}. */
public final class AdamScalar {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private AdamScalar() {}

    /** One AdamW step; see {@link Adam#step}. */
    public static void step(MemorySegment param, MemorySegment grad, MemorySegment m, MemorySegment v, long n,
                            float lr, float beta1, float beta2, float eps, float weightDecay, long step) {
        if (step < 1) throw new IllegalArgumentException("step must be >= 1: " + step);
        float invBc1 = (float) (1.0 / (1.0 - Math.pow(beta1, step)));
        float invBc2 = (float) (1.0 / (1.0 - Math.pow(beta2, step)));
        for (long i = 0; i < n; i++) {
            float g = grad.getAtIndex(F, i), p = param.getAtIndex(F, i);
            float mi = beta1 * m.getAtIndex(F, i) + (1f - beta1) * g;
            float vi = beta2 * v.getAtIndex(F, i) + (1f - beta2) * g * g;
            m.setAtIndex(F, i, mi);
            v.setAtIndex(F, i, vi);
            float mHat = mi * invBc1, vHat = vi * invBc2;
            param.setAtIndex(F, i, p - lr * (mHat / ((float) Math.sqrt(vHat) + eps) + weightDecay * p));
        }
    }
}
