package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** AdamW optimiser step, vectorised. */
public final class Adam {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Adam() {}

    /**
     * AdamW (decoupled weight decay), in place on param, m, v:
     * m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; m̂ = m/(1−β1^t); v̂ = v/(1−β2^t);
     * p −= lr·(m̂/(√v̂ + eps) + weightDecay·p). Bias corrections are computed once, in double.
     */
    public static void step(MemorySegment param, MemorySegment grad, MemorySegment m, MemorySegment v, long n,
                            float lr, float beta1, float beta2, float eps, float weightDecay, long step) {
        if (step < 1) throw new IllegalArgumentException("step must be >= 1: " + step);
        float invBc1 = (float) (1.0 / (1.0 - Math.pow(beta1, step)));
        float invBc2 = (float) (1.0 / (1.0 - Math.pow(beta2, step)));
        update(param, grad, m, v, 0, n, lr, beta1, beta2, eps, weightDecay, invBc1, invBc2);
    }

    /**
     * The update of {@link #step} on elements [from, to), with the bias corrections
     * 1/(1−β1^t) and 1/(1−β2^t) given (so chunks of one step on several threads share them).
     */
    public static void update(MemorySegment param, MemorySegment grad, MemorySegment m, MemorySegment v, long from, long to,
                              float lr, float beta1, float beta2, float eps, float weightDecay, float invBc1, float invBc2) {
        float c1 = 1f - beta1, c2 = 1f - beta2;
        long i = from;
        long bound = to - (to - from) % L;
        for (; i < bound; i += L) {
            long o = 4L * i;
            FloatVector g = FloatVector.fromMemorySegment(S, grad, o, NO);
            FloatVector p = FloatVector.fromMemorySegment(S, param, o, NO);
            FloatVector mi = FloatVector.fromMemorySegment(S, m, o, NO).mul(beta1).add(g.mul(c1));
            FloatVector vi = FloatVector.fromMemorySegment(S, v, o, NO).mul(beta2).add(g.mul(g).mul(c2));
            mi.intoMemorySegment(m, o, NO);
            vi.intoMemorySegment(v, o, NO);
            FloatVector den = vi.mul(invBc2).lanewise(VectorOperators.SQRT).add(eps);
            FloatVector upd = mi.mul(invBc1).div(den).add(p.mul(weightDecay));
            p.sub(upd.mul(lr)).intoMemorySegment(param, o, NO);
        }
        for (; i < to; i++) {
            float g = grad.getAtIndex(F, i), p = param.getAtIndex(F, i);
            float mi = beta1 * m.getAtIndex(F, i) + c1 * g;
            float vi = beta2 * v.getAtIndex(F, i) + c2 * (g * g);
            m.setAtIndex(F, i, mi);
            v.setAtIndex(F, i, vi);
            float den = (float) Math.sqrt(vi * invBc2) + eps;
            param.setAtIndex(F, i, p - lr * (mi * invBc1 / den + weightDecay * p));
        }
    }
}
