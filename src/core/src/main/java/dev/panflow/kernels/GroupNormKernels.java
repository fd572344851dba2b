package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Group normalisation over NCHW with the Vector API, one slot (an image's group of C/G channels,
 * slot = image · groups + group, stored contiguously) at a time; {@link GroupNormScalar} is the
 * plain twin. The mean comes first and the variance from a second pass over x − μ (the group
 * fits in L1), so large means do not cancel; every output is computed from x − μ too. Group sums
 * run in float lanes (a group holds a few thousand values), added up in {@link LaneSum}'s fixed
 * order (the same bits in every JIT tier), and folded into doubles. Each helper holds one vector
 * loop and returns a scalar, so no vector crosses a loop merge (see {@link Elementwise#sum}).
 * Results do not depend on how a caller splits the slots.
 */
public final class GroupNormKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private GroupNormKernels() {}

    private static FloatVector load(MemorySegment s, long i) { return FloatVector.fromMemorySegment(S, s, 4L * i, NO); }

    /** {@link GroupNormScalar#forward}, vectorised. */
    public static void forward(MemorySegment x, MemorySegment y, MemorySegment gamma, MemorySegment beta, double[] mean, double[] rstd,
                               int channels, int groups, int hw, int from, int to) {
        int cg = channels / groups;
        long m = (long) cg * hw;
        for (int slot = from; slot < to; slot++) {
            int g = slot % groups;
            long base = (long) slot * m;
            double mu = Elementwise.sumRange(x, base, m) / m;
            float muF = (float) mu;
            double var = sumSquaredDeviation(x, base, m, muF) / m;
            double r = 1 / Math.sqrt(var + GroupNormScalar.EPS);
            mean[slot] = mu;
            rstd[slot] = r;
            for (int c = 0; c < cg; c++) {
                int ch = g * cg + c;
                // y = γ r (x − μ) + β
                shiftScale(x, y, base + (long) c * hw, hw, muF, (float) (gamma.getAtIndex(F, ch) * r), beta.getAtIndex(F, ch));
            }
        }
    }

    /**
     * {@link #forward} into {@code a} and then y = silu(a), gate = σ(a) (skipped when gate is null),
     * slot by slot: bitwise {@link #forward} followed by {@link Elementwise#siluWithGate}.
     * The group norm's output a stays for the SiLU's backward pass.
     */
    public static void forwardSilu(MemorySegment x, MemorySegment a, MemorySegment gate, MemorySegment y, MemorySegment gamma,
                                   MemorySegment beta, double[] mean, double[] rstd, int channels, int groups, int hw, int from, int to) {
        long m = (long) channels / groups * hw;
        for (int slot = from; slot < to; slot++) {
            forward(x, a, gamma, beta, mean, rstd, channels, groups, hw, slot, slot + 1);
            // The SiLU over the whole slot while it is in L1: one loop and one scalar tail per slot, not per channel.
            long base = slot * m;
            if (gate == null) Elementwise.silu(a, y, base, base + m);
            else Elementwise.siluWithGate(a, gate, y, base, base + m);
        }
    }

    /** {@link GroupNormScalar#jvp}, vectorised. */
    public static void jvp(MemorySegment x, MemorySegment dx, MemorySegment dy, MemorySegment gamma, double[] mean, double[] rstd,
                           int channels, int groups, int hw, int from, int to) {
        int cg = channels / groups;
        long m = (long) cg * hw;
        for (int slot = from; slot < to; slot++) {
            int g = slot % groups;
            long base = (long) slot * m;
            double mu = mean[slot], r = rstd[slot];
            float muF = (float) mu;
            double md = Elementwise.sumRange(dx, base, m) / m, mdx = dotDeviation(dx, x, base, m, muF) * r / m;
            for (int c = 0; c < cg; c++) {
                double gr = gamma.getAtIndex(F, g * cg + c) * r;
                // ẏ = γr ẋ − γr² mean(x̂ẋ)·(x − μ) − γr mean(ẋ)
                combine(dx, x, dy, base + (long) c * hw, hw, muF, (float) gr, (float) (-gr * r * mdx), (float) (-gr * md));
            }
        }
    }

    /** {@link GroupNormScalar#backward}, vectorised. */
    public static void backward(MemorySegment x, MemorySegment dy, MemorySegment dx, MemorySegment gamma, double[] mean, double[] rstd,
                                double[] dGamma, double[] dBeta, int channels, int groups, int hw, int from, int to) {
        backward(x, null, null, false, dy, dx, gamma, mean, rstd, dGamma, dBeta, channels, groups, hw, from, to);
    }

    /**
     * The SiLU's backward pass and then {@link #backward}, for a group norm whose output a went
     * through y = silu(a): on entry dy holds dL/dy, on return dL/da (= dy·silu'(a), from the kept
     * gate σ(a), recomputed when gate is null), and dx holds dL/dx. Bitwise
     * {@link Elementwise#siluBackwardWithGate} (or {@link Elementwise#siluBackward}) followed by
     * {@link #backward}, with one pass fewer over dL/da.
     */
    public static void backwardSilu(MemorySegment x, MemorySegment a, MemorySegment gate, MemorySegment dy, MemorySegment dx,
                                    MemorySegment gamma, double[] mean, double[] rstd, double[] dGamma, double[] dBeta, int channels,
                                    int groups, int hw, int from, int to) {
        backward(x, a, gate, true, dy, dx, gamma, mean, rstd, dGamma, dBeta, channels, groups, hw, from, to);
    }

    /** {@link #backward}, after dy ← dy·silu'(a) in the same loop as its sums when {@code silu}. */
    private static void backward(MemorySegment x, MemorySegment a, MemorySegment gate, boolean silu, MemorySegment dy, MemorySegment dx,
                                 MemorySegment gamma, double[] mean, double[] rstd, double[] dGamma, double[] dBeta, int channels,
                                 int groups, int hw, int from, int to) {
        int cg = channels / groups;
        long m = (long) cg * hw;
        for (int slot = from; slot < to; slot++) {
            int g = slot % groups;
            long base = (long) slot * m;
            int row = slot / groups * channels;
            double mu = mean[slot], r = rstd[slot];
            float muF = (float) mu;
            double sumG = 0, sumGx = 0;
            for (int c = 0; c < cg; c++) {
                int ch = g * cg + c;
                long o = base + (long) c * hw;
                double s2 = channelSums(x, a, gate, silu, dy, o, hw, muF, dBeta, row + ch) * r;
                double s1 = dBeta[row + ch], gm = gamma.getAtIndex(F, ch);
                dGamma[row + ch] = s2;
                sumG += gm * s1;
                sumGx += gm * s2;
            }
            double mg = sumG / m, mgx = sumGx / m;
            for (int c = 0; c < cg; c++) {
                double gm = gamma.getAtIndex(F, g * cg + c);
                // dx = rγ dy − r² mean(g x̂)·(x − μ) − r mean(g)
                combine(dy, x, dx, base + (long) c * hw, hw, muF, (float) (r * gm), (float) (-r * r * mgx), (float) (-r * mg));
            }
        }
    }

    /**
     * One channel's [o, o+hw): dBeta[at] ← Σ dy and returned Σ dy·(x − μ); with {@code silu}, dy ←
     * dy·silu'(a) first, in the same loop.
     */
    private static float channelSums(MemorySegment x, MemorySegment a, MemorySegment gate, boolean silu, MemorySegment dy, long o,
                                     int hw, float muF, double[] dBeta, int at) {
        if (silu && gate == null) return siluBackwardSums(a, dy, x, o, hw, muF, dBeta, at);
        if (silu) return siluBackwardGateSums(a, gate, dy, x, o, hw, muF, dBeta, at);
        dBeta[at] = Elementwise.sumRange(dy, o, hw);
        return dotDeviation(dy, x, o, hw, muF);
    }

    /** Σ (x − μ)² over [off, off+len). */
    static float sumSquaredDeviation(MemorySegment x, long off, long len, float mu) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), vm = FloatVector.broadcast(S, mu);
        long i = off, end = off + len, b2 = off + len - len % (2L * L);
        for (; i < b2; i += 2L * L) {
            FloatVector d0 = load(x, i).sub(vm), d1 = load(x, i + L).sub(vm);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
        }
        float s = LaneSum.of(s0.add(s1));
        for (; i < end; i++) {
            float d = x.getAtIndex(F, i) - mu;
            s = Math.fma(d, d, s);
        }
        return s;
    }

    /** Σ a·(x − μ) over [off, off+len). */
    static float dotDeviation(MemorySegment a, MemorySegment x, long off, long len, float mu) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), vm = FloatVector.broadcast(S, mu);
        long i = off, end = off + len, b2 = off + len - len % (2L * L);
        for (; i < b2; i += 2L * L) {
            s0 = load(a, i).fma(load(x, i).sub(vm), s0);
            s1 = load(a, i + L).fma(load(x, i + L).sub(vm), s1);
        }
        float s = LaneSum.of(s0.add(s1));
        for (; i < end; i++) s = Math.fma(a.getAtIndex(F, i), x.getAtIndex(F, i) - mu, s);
        return s;
    }

    /** y = a·(x − μ) + b over [off, off+len). */
    static void shiftScale(MemorySegment x, MemorySegment y, long off, long len, float mu, float a, float b) {
        FloatVector vm = FloatVector.broadcast(S, mu), va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b);
        long i = off, end = off + len, bound = off + len - len % L;
        for (; i < bound; i += L) load(x, i).sub(vm).fma(va, vb).intoMemorySegment(y, 4L * i, NO);
        for (; i < end; i++) y.setAtIndex(F, i, Math.fma(x.getAtIndex(F, i) - mu, a, b));
    }

    /**
     * Over [off, off+len): d ← d·s·(1 + v(1−s)) with s the kept gate (silu'(v)·d), sum[at] ← Σ d
     * and returned Σ d·(x − μ), added in {@link Elementwise#sumRange}'s and {@link #dotDeviation}'s orders.
     */
    static float siluBackwardGateSums(MemorySegment v, MemorySegment gate, MemorySegment d, MemorySegment x, long off, long len,
                                      float mu, double[] sum, int at) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), p0 = FloatVector.zero(S), p1 = FloatVector.zero(S),
                vm = FloatVector.broadcast(S, mu), one = FloatVector.broadcast(S, 1f);
        long i = off, end = off + len, b2 = off + len - len % (2L * L);
        for (; i < b2; i += 2L * L) {
            FloatVector s0 = load(gate, i), s1 = load(gate, i + L);
            FloatVector d0 = load(d, i).mul(s0).mul(load(v, i).fma(one.sub(s0), one));
            FloatVector d1 = load(d, i + L).mul(s1).mul(load(v, i + L).fma(one.sub(s1), one));
            d0.intoMemorySegment(d, 4L * i, NO);
            d1.intoMemorySegment(d, 4L * (i + L), NO);
            a0 = d0.add(a0);
            a1 = d1.add(a1);
            p0 = d0.fma(load(x, i).sub(vm), p0);
            p1 = d1.fma(load(x, i + L).sub(vm), p1);
        }
        float s = LaneSum.of(a0.add(a1)), p = LaneSum.of(p0.add(p1));
        for (; i < end; i++) {
            float g = gate.getAtIndex(F, i), di = d.getAtIndex(F, i) * g * Math.fma(v.getAtIndex(F, i), 1f - g, 1f);
            d.setAtIndex(F, i, di);
            s += di;
            p = Math.fma(di, x.getAtIndex(F, i) - mu, p);
        }
        sum[at] = s;
        return p;
    }

    /** {@link #siluBackwardGateSums} with the gate recomputed from v. */
    static float siluBackwardSums(MemorySegment v, MemorySegment d, MemorySegment x, long off, long len, float mu, double[] sum, int at) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), p0 = FloatVector.zero(S), p1 = FloatVector.zero(S),
                vm = FloatVector.broadcast(S, mu), one = FloatVector.broadcast(S, 1f);
        long i = off, end = off + len, b2 = off + len - len % (2L * L);
        for (; i < b2; i += 2L * L) {
            FloatVector v0 = load(v, i), v1 = load(v, i + L), s0 = Elementwise.sigmoid(v0), s1 = Elementwise.sigmoid(v1);
            FloatVector d0 = load(d, i).mul(s0).mul(v0.fma(one.sub(s0), one));
            FloatVector d1 = load(d, i + L).mul(s1).mul(v1.fma(one.sub(s1), one));
            d0.intoMemorySegment(d, 4L * i, NO);
            d1.intoMemorySegment(d, 4L * (i + L), NO);
            a0 = d0.add(a0);
            a1 = d1.add(a1);
            p0 = d0.fma(load(x, i).sub(vm), p0);
            p1 = d1.fma(load(x, i + L).sub(vm), p1);
        }
        float s = LaneSum.of(a0.add(a1)), p = LaneSum.of(p0.add(p1));
        for (; i < end; i++) {
            float vi = v.getAtIndex(F, i), g = Elementwise.sigmoid(vi), di = d.getAtIndex(F, i) * g * Math.fma(vi, 1f - g, 1f);
            d.setAtIndex(F, i, di);
            s += di;
            p = Math.fma(di, x.getAtIndex(F, i) - mu, p);
        }
        sum[at] = s;
        return p;
    }

    /** out = a·d + b·(x − μ) + c over [off, off+len); out may alias d. */
    static void combine(MemorySegment d, MemorySegment x, MemorySegment out, long off, long len, float mu, float a, float b, float c) {
        FloatVector vm = FloatVector.broadcast(S, mu), va = FloatVector.broadcast(S, a), vb = FloatVector.broadcast(S, b),
                vc = FloatVector.broadcast(S, c);
        long i = off, end = off + len, bound = off + len - len % L;
        for (; i < bound; i += L) load(d, i).fma(va, load(x, i).sub(vm).fma(vb, vc)).intoMemorySegment(out, 4L * i, NO);
        for (; i < end; i++) out.setAtIndex(F, i, Math.fma(d.getAtIndex(F, i), a, Math.fma(x.getAtIndex(F, i) - mu, b, c)));
    }
}
