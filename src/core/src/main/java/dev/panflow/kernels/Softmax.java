package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row softmax of scaled scores (attention weights), over rows of {@code cols} floats of a
 * row-major segment: p_ij = exp(s·x_ij − m_i) / Σ_j exp(s·x_ij − m_i) with m_i = max_j s·x_ij
 * (max subtracted, so no exp overflows), and its derivative. Full vectors, then a scalar tail;
 * e^z is {@link ExpF}'s and lane sums are {@link LaneSum}'s, so results do not depend on the JIT
 * tier or on how rows are split between threads. Scalar twin: {@link SoftmaxScalar}.
 */
public final class Softmax {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Softmax() {}

    private static FloatVector load(MemorySegment s, long i) { return FloatVector.fromMemorySegment(S, s, 4L * i, NO); }

    /** Rows [r0, r1) of x [· × cols], in place: x_i ← softmax(scale·x_i). */
    public static void forward(MemorySegment x, int cols, float scale, int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            long o = (long) r * cols;
            float m = scale * rowMax(x, o, cols, scale);  // scale > 0: max of s·x = s·max x
            float sum = expRow(x, o, cols, scale, m);
            scaleRow(x, o, cols, 1f / sum);
        }
    }

    /**
     * Rows [r0, r1): out = scale·p ⊙ (g − Σ_j p_j g_j), the vector–Jacobian product of
     * p = softmax(scale·x) for an upstream gradient g; the Jacobian is symmetric, so for a tangent
     * ẋ in g this is the forward-mode tangent ṗ too. out may alias g.
     */
    public static void backward(MemorySegment p, MemorySegment g, MemorySegment out, int cols, float scale, int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            long o = (long) r * cols;
            float d = dot(p, g, o, cols);
            centreRow(p, g, out, o, cols, d, scale);
        }
    }

    // One vector loop per method; carried vectors are updated as fresh.op(acc) (see package-info).

    private static float rowMax(MemorySegment x, long o, int cols, float scale) {
        int vb = cols - cols % L;
        float m = Float.NEGATIVE_INFINITY;
        if (vb > 0) {
            FloatVector acc = load(x, o);
            for (int j = L; j < vb; j += L) acc = load(x, o + j).max(acc);
            m = acc.reduceLanes(VectorOperators.MAX); // max is exact in any order
        }
        for (int j = vb; j < cols; j++) m = Math.max(m, x.getAtIndex(F, o + j));
        return m;
    }

    /** x_j ← e^{scale·x_j − m}; returns Σ_j of them (lanes, then the tail in order). */
    private static float expRow(MemorySegment x, long o, int cols, float scale, float m) {
        int vb = cols - cols % L;
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < vb; j += L) {
            FloatVector e = ExpF.exp(load(x, o + j).fma(scale, -m));
            e.intoMemorySegment(x, 4L * (o + j), NO);
            acc = e.add(acc);
        }
        float sum = LaneSum.of(acc);
        for (int j = vb; j < cols; j++) {
            float e = ExpF.exp(Math.fma(x.getAtIndex(F, o + j), scale, -m));
            x.setAtIndex(F, o + j, e);
            sum += e;
        }
        return sum;
    }

    private static void scaleRow(MemorySegment x, long o, int cols, float k) {
        int vb = cols - cols % L;
        for (int j = 0; j < vb; j += L) load(x, o + j).mul(k).intoMemorySegment(x, 4L * (o + j), NO);
        for (int j = vb; j < cols; j++) x.setAtIndex(F, o + j, x.getAtIndex(F, o + j) * k);
    }

    private static float dot(MemorySegment p, MemorySegment g, long o, int cols) {
        int vb = cols - cols % L;
        FloatVector acc = FloatVector.zero(S);
        for (int j = 0; j < vb; j += L) acc = load(p, o + j).fma(load(g, o + j), acc);
        float d = LaneSum.of(acc);
        for (int j = vb; j < cols; j++) d = Math.fma(p.getAtIndex(F, o + j), g.getAtIndex(F, o + j), d);
        return d;
    }

    private static void centreRow(MemorySegment p, MemorySegment g, MemorySegment out, long o, int cols, float d, float scale) {
        int vb = cols - cols % L;
        for (int j = 0; j < vb; j += L)
            load(g, o + j).sub(d).mul(load(p, o + j)).mul(scale).intoMemorySegment(out, 4L * (o + j), NO);
        for (int j = vb; j < cols; j++) out.setAtIndex(F, o + j, (g.getAtIndex(F, o + j) - d) * p.getAtIndex(F, o + j) * scale);
    }
}
