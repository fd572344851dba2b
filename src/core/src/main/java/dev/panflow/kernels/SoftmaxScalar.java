package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Plain-loop reference twin of {@link Softmax} (sums in double, e^z by Math.exp): same signatures and semantics. */
public final class SoftmaxScalar {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private SoftmaxScalar() {}

    /** Rows [r0, r1) of x [· × cols], in place: x_i ← softmax(scale·x_i). */
    public static void forward(MemorySegment x, int cols, float scale, int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            long o = (long) r * cols;
            double m = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) m = Math.max(m, (double) scale * x.getAtIndex(F, o + j));
            double sum = 0;
            double[] e = new double[cols];
            for (int j = 0; j < cols; j++) sum += e[j] = Math.exp((double) scale * x.getAtIndex(F, o + j) - m);
            for (int j = 0; j < cols; j++) x.setAtIndex(F, o + j, (float) (e[j] / sum));
        }
    }

    /** Rows [r0, r1): out = scale·p ⊙ (g − Σ_j p_j g_j). out may alias g. */
    public static void backward(MemorySegment p, MemorySegment g, MemorySegment out, int cols, float scale, int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            long o = (long) r * cols;
            double d = 0;
            for (int j = 0; j < cols; j++) d += (double) p.getAtIndex(F, o + j) * g.getAtIndex(F, o + j);
            for (int j = 0; j < cols; j++)
                out.setAtIndex(F, o + j, (float) (scale * p.getAtIndex(F, o + j) * (g.getAtIndex(F, o + j) - d)));
        }
    }
}
