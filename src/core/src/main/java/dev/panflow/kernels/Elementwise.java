package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorised elementwise kernels and reductions over contiguous float32 segments. Each loop runs
 * full vectors, then a scalar tail. Outputs may alias inputs where the method says so (every
 * element is read before it is written at the same index).
 */
public final class Elementwise {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Reductions fold float lane partials into a double every this many elements. */
    private static final int FOLD = 512;
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    private Elementwise() {}

    private static FloatVector load(MemorySegment s, long i) { return FloatVector.fromMemorySegment(S, s, 4L * i, NO); }
    private static void store(FloatVector v, MemorySegment s, long i) { v.intoMemorySegment(s, 4L * i, NO); }
    private static float get(MemorySegment s, long i) { return s.getAtIndex(F, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(F, i, v); }
    private static long vbound(long n) { return n - n % L; }

    /** y[r,c] += bias[c]. */
    public static void addBias(MemorySegment y, MemorySegment bias, int rows, int cols) {
        addBias(y, bias, 0, rows, cols);
    }

    /** y[r,c] += bias[c] for rows [rowFrom, rowTo) of a matrix with {@code cols} columns. */
    public static void addBias(MemorySegment y, MemorySegment bias, int rowFrom, int rowTo, int cols) {
        int cb = (int) vbound(cols);
        for (int r = rowFrom; r < rowTo; r++) {
            long row = (long) r * cols;
            int c = 0;
            for (; c < cb; c += L) store(load(y, row + c).add(load(bias, c)), y, row + c);
            for (; c < cols; c++) set(y, row + c, get(y, row + c) + get(bias, c));
        }
    }

    /** out[c] (+)= Σ_r dy[r,c] (the bias gradient); rows are added in increasing order. */
    public static void sumRows(MemorySegment dy, MemorySegment out, int rows, int cols, boolean accumulate) {
        int cb = (int) vbound(cols);
        int c = 0;
        for (; c < cb; c += L) {
            FloatVector s = accumulate ? load(out, c) : FloatVector.zero(S);
            for (int r = 0; r < rows; r++) s = load(dy, (long) r * cols + c).add(s);
            store(s, out, c);
        }
        for (; c < cols; c++) {
            float s = accumulate ? get(out, c) : 0f;
            for (int r = 0; r < rows; r++) s += get(dy, (long) r * cols + c);
            set(out, c, s);
        }
    }

    /** σ(v) = 1 / (1 + e^−v), the SiLU's gate. */
    static FloatVector sigmoid(FloatVector v) { return ONE.div(ExpF.exp(v.neg()).add(1f)); }

    /** The same operations on one float (bitwise the same as a lane of the vector form). */
    static float sigmoid(float v) { return 1f / (1f + ExpF.exp(-v)); }

    /**
     * y = x·σ(x); y may alias x. Every SiLU forward (this, {@link #biasSilu}, {@link #biasSiluGate}
     * and the GEMM's epilogue) is x times the gate, so they agree bitwise.
     */
    public static void silu(MemorySegment x, MemorySegment y, long n) {
        silu(x, y, 0, n);
    }

    /** {@link #silu(MemorySegment, MemorySegment, long)} on elements [from, to). */
    public static void silu(MemorySegment x, MemorySegment y, long from, long to) {
        long i = from, b = to - (to - from) % L;
        for (; i < b; i += L) {
            FloatVector v = load(x, i);
            store(v.mul(sigmoid(v)), y, i);
        }
        for (; i < to; i++) {
            float v = get(x, i);
            set(y, i, v * sigmoid(v));
        }
    }

    /**
     * y = x·σ(x) as {@link #silu(MemorySegment, MemorySegment, long, long)} (bitwise), and the gate
     * σ(x) kept in {@code gate} for {@link #siluBackwardWithGate}, so the backward pass needs no exp.
     * Elements [from, to); gate must alias neither x nor y.
     */
    public static void siluWithGate(MemorySegment x, MemorySegment gate, MemorySegment y, long from, long to) {
        long i = from, b = to - (to - from) % L;
        for (; i < b; i += L) {
            FloatVector v = load(x, i), s = sigmoid(v);
            store(s, gate, i);
            store(v.mul(s), y, i);
        }
        for (; i < to; i++) {
            float v = get(x, i), s = sigmoid(v);
            set(gate, i, s);
            set(y, i, v * s);
        }
    }

    /**
     * {@link #siluBackward(MemorySegment, MemorySegment, MemorySegment, long, long)} (bitwise) from
     * the input x and the gate s = σ(x) that {@link #siluWithGate} kept: dx = dy·s·(1 + x(1−s)).
     * dx may alias dy. Elements [from, to).
     */
    public static void siluBackwardWithGate(MemorySegment x, MemorySegment gate, MemorySegment dy, MemorySegment dx, long from,
                                            long to) {
        long i = from, b = to - (to - from) % L;
        for (; i < b; i += L) {
            FloatVector s = load(gate, i);
            FloatVector t = load(x, i).fma(ONE.sub(s), ONE);   // 1 + x(1−s)
            store(load(dy, i).mul(s).mul(t), dx, i);
        }
        for (; i < to; i++) {
            float s = get(gate, i);
            set(dx, i, get(dy, i) * s * Math.fma(get(x, i), 1f - s, 1f));
        }
    }

    /** dx = dy·s·(1 + x·(1−s)), s = sigmoid(x); dx may alias dy. */
    public static void siluBackward(MemorySegment x, MemorySegment dy, MemorySegment dx, long n) {
        siluBackward(x, dy, dx, 0, n);
    }

    /** {@link #siluBackward(MemorySegment, MemorySegment, MemorySegment, long)} on elements [from, to). */
    public static void siluBackward(MemorySegment x, MemorySegment dy, MemorySegment dx, long from, long to) {
        long i = from, b = to - (to - from) % L;
        for (; i < b; i += L) {
            FloatVector v = load(x, i);
            FloatVector s = sigmoid(v);
            FloatVector t = v.fma(ONE.sub(s), ONE);   // 1 + x(1−s)
            store(load(dy, i).mul(s).mul(t), dx, i);
        }
        for (; i < to; i++) {
            float v = get(x, i), s = sigmoid(v);
            set(dx, i, get(dy, i) * s * Math.fma(v, 1f - s, 1f));
        }
    }

    /**
     * The SiLU's backward pass from what its forward kept, with no exp: dx = dy·(s + y·(1−s)),
     * s = σ(x) the gate and y = x·s the output (silu'(x) = s + x·s·(1−s)); dx may alias dy.
     * Elements [from, to).
     */
    public static void siluBackwardGate(MemorySegment gate, MemorySegment y, MemorySegment dy, MemorySegment dx, long from,
                                        long to) {
        long i = from, b = to - (to - from) % L;
        for (; i < b; i += L) {
            FloatVector s = load(gate, i);
            store(load(dy, i).mul(load(y, i).fma(ONE.sub(s), s)), dx, i);
        }
        for (; i < to; i++) {
            float s = get(gate, i);
            set(dx, i, get(dy, i) * Math.fma(get(y, i), 1f - s, s));
        }
    }

    /**
     * The forward pass of a hidden layer after its GEMM, in one pass over rows [rowFrom, rowTo):
     * y[r,c] += bias[c] (kept: the pre-activation the backward pass needs) and
     * out[r,c] = silu(y[r,c]). Bitwise the same as {@link #addBias} then {@link #silu}.
     */
    public static void biasSilu(MemorySegment y, MemorySegment bias, MemorySegment out, int rowFrom, int rowTo, int cols) {
        int cb = (int) vbound(cols);
        boolean keep = !out.equals(y);   // out = y (inference): only silu is kept, one store
        for (int r = rowFrom; r < rowTo; r++) {
            long row = (long) r * cols;
            int c = 0;
            for (; c < cb; c += L) {
                FloatVector v = load(y, row + c).add(load(bias, c));
                if (keep) store(v, y, row + c);
                store(v.mul(sigmoid(v)), out, row + c);
            }
            for (; c < cols; c++) {
                float v = get(y, row + c) + get(bias, c);
                set(y, row + c, v);
                set(out, row + c, v * sigmoid(v));
            }
        }
    }

    /**
     * A hidden layer's forward pass after its GEMM when training, rows [rowFrom, rowTo): v = y + bias,
     * y ← σ(v) (the gate, which is all {@link #siluBackwardGate} needs beside the output) and
     * out = v·σ(v), bitwise {@link #biasSilu}'s out. out must not alias y.
     */
    public static void biasSiluGate(MemorySegment y, MemorySegment bias, MemorySegment out, int rowFrom, int rowTo, int cols) {
        int cb = (int) vbound(cols);
        for (int r = rowFrom; r < rowTo; r++) {
            long row = (long) r * cols;
            int c = 0;
            for (; c < cb; c += L) {
                FloatVector v = load(y, row + c).add(load(bias, c));
                FloatVector s = sigmoid(v);
                store(s, y, row + c);
                store(v.mul(s), out, row + c);
            }
            for (; c < cols; c++) {
                float v = get(y, row + c) + get(bias, c), s = sigmoid(v);
                set(y, row + c, s);
                set(out, row + c, v * s);
            }
        }
    }

    public static void add(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        long i = 0, vb = vbound(n);
        for (; i < vb; i += L) store(load(a, i).add(load(b, i)), out, i);
        for (; i < n; i++) set(out, i, get(a, i) + get(b, i));
    }

    /** x[p, j] += v[p] for planes p < planes of hw values each (a per-channel shift of NCHW). */
    public static void addPlanes(MemorySegment x, MemorySegment v, int planes, int hw) {
        for (int p = 0; p < planes; p++) addScalar(x, (long) p * hw, hw, get(v, p));
    }

    private static void addScalar(MemorySegment x, long off, int len, float c) {
        FloatVector vc = FloatVector.broadcast(S, c);
        long i = off, end = off + len, vb = off + len - len % L;
        for (; i < vb; i += L) store(load(x, i).add(vc), x, i);
        for (; i < end; i++) set(x, i, get(x, i) + c);
    }

    /** out[p] = Σ_j x[p, j] for planes p < planes of hw values each (float lanes per plane). */
    public static void sumPlanes(MemorySegment x, MemorySegment out, int planes, int hw) {
        for (int p = 0; p < planes; p++) set(out, p, sumRange(x, (long) p * hw, hw));
    }

    /** Σ x[off … off+len) in float lanes, two accumulators, lanes added in {@link LaneSum}'s order. */
    static float sumRange(MemorySegment x, long off, long len) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
        long i = off, end = off + len, b2 = off + len - len % (2L * L);
        for (; i < b2; i += 2L * L) {
            s0 = load(x, i).add(s0);
            s1 = load(x, i + L).add(s1);
        }
        float s = LaneSum.of(s0.add(s1));
        for (; i < end; i++) s += get(x, i);
        return s;
    }

    public static void sub(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        long i = 0, vb = vbound(n);
        for (; i < vb; i += L) store(load(a, i).sub(load(b, i)), out, i);
        for (; i < n; i++) set(out, i, get(a, i) - get(b, i));
    }

    public static void mul(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        mul(a, b, out, 0, n);
    }

    /** out = a·b on elements [from, to); out may alias a or b. */
    public static void mul(MemorySegment a, MemorySegment b, MemorySegment out, long from, long to) {
        long i = from, vb = to - (to - from) % L;
        for (; i < vb; i += L) store(load(a, i).mul(load(b, i)), out, i);
        for (; i < to; i++) set(out, i, get(a, i) * get(b, i));
    }

    public static void scale(MemorySegment x, float s, MemorySegment out, long n) {
        long i = 0, vb = vbound(n);
        for (; i < vb; i += L) store(load(x, i).mul(s), out, i);
        for (; i < n; i++) set(out, i, get(x, i) * s);
    }

    /** y += alpha·x. */
    public static void axpy(float alpha, MemorySegment x, MemorySegment y, long n) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        long i = 0, vb = vbound(n);
        for (; i < vb; i += L) store(load(x, i).fma(va, load(y, i)), y, i);
        for (; i < n; i++) set(y, i, Math.fma(alpha, get(x, i), get(y, i)));
    }

    public static void fill(MemorySegment x, float v, long n) {
        FloatVector vv = FloatVector.broadcast(S, v);
        long i = 0, vb = vbound(n);
        for (; i < vb; i += L) store(vv, x, i);
        for (; i < n; i++) set(x, i, v);
    }

    public static void copy(MemorySegment src, MemorySegment dst, long n) {
        MemorySegment.copy(src, 0L, dst, 0L, 4L * n);
    }

    /**
     * Σ x. Blocks of {@value #FOLD} elements are summed with four float vector accumulators (16
     * values per lane) and folded into a double: float error stays per block, the long sum is
     * double. Each block is its own method returning a float, so no vector crosses a call.
     */
    public static double sum(MemorySegment x, long n) {
        double total = 0;
        long vb = n - n % (4 * L);
        for (long j = 0; j < vb; j += FOLD) total += sumBlock(x, j, Math.min(vb, j + FOLD));
        for (long i = vb; i < n; i++) total += get(x, i);
        return total;
    }

    private static float sumBlock(MemorySegment x, long from, long to) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
        for (long i = from; i < to; i += 4 * L) {
            s0 = load(x, i).add(s0);
            s1 = load(x, i + L).add(s1);
            s2 = load(x, i + 2 * L).add(s2);
            s3 = load(x, i + 3 * L).add(s3);
        }
        return LaneSum.of(s0.add(s1).add(s2.add(s3)));
    }

    /** Σ x² (blocked like {@link #sum}). */
    public static double sumSquares(MemorySegment x, long n) {
        double total = 0;
        long vb = n - n % (4 * L);
        for (long j = 0; j < vb; j += FOLD) total += sumSquaresBlock(x, j, Math.min(vb, j + FOLD));
        for (long i = vb; i < n; i++) { double v = get(x, i); total += v * v; }
        return total;
    }

    private static float sumSquaresBlock(MemorySegment x, long from, long to) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
        for (long i = from; i < to; i += 4 * L) {
            FloatVector v0 = load(x, i), v1 = load(x, i + L), v2 = load(x, i + 2 * L), v3 = load(x, i + 3 * L);
            s0 = v0.fma(v0, s0);
            s1 = v1.fma(v1, s1);
            s2 = v2.fma(v2, s2);
            s3 = v3.fma(v3, s3);
        }
        return LaneSum.of(s0.add(s1).add(s2.add(s3)));
    }

    /** Σ a·b (blocked like {@link #sum}). */
    public static double dot(MemorySegment a, MemorySegment b, long n) {
        double total = 0;
        long vb = n - n % (4 * L);
        for (long j = 0; j < vb; j += FOLD) total += dotBlock(a, b, j, Math.min(vb, j + FOLD));
        for (long i = vb; i < n; i++) total += (double) get(a, i) * get(b, i);
        return total;
    }

    private static float dotBlock(MemorySegment a, MemorySegment b, long from, long to) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
        for (long i = from; i < to; i += 4 * L) {
            s0 = load(a, i).fma(load(b, i), s0);
            s1 = load(a, i + L).fma(load(b, i + L), s1);
            s2 = load(a, i + 2 * L).fma(load(b, i + 2 * L), s2);
            s3 = load(a, i + 3 * L).fma(load(b, i + 3 * L), s3);
        }
        return LaneSum.of(s0.add(s1).add(s2.add(s3)));
    }

    /**
     * out = x + Σ_{t<terms} coef[t]·ks[t] in one pass (ODE stage updates: Euler x + h·k, RK4,
     * Dormand–Prince). out may alias x. Terms are added in increasing t with fused multiply-adds.
     */
    public static void linComb(MemorySegment out, MemorySegment x, float[] coef, MemorySegment[] ks, int terms, long n) {
        if (terms == 0) {
            copy(x, out, n);   // memmove semantics: fine when out aliases x
            return;
        }
        long vb = vbound(n);
        if (terms == 1) {
            float c0 = coef[0];
            FloatVector v0 = FloatVector.broadcast(S, c0);
            MemorySegment k0 = ks[0];
            long i = 0;
            for (; i < vb; i += L) store(load(k0, i).fma(v0, load(x, i)), out, i);
            for (; i < n; i++) set(out, i, Math.fma(c0, get(k0, i), get(x, i)));
            return;
        }
        if (terms == 2) {
            float c0 = coef[0], c1 = coef[1];
            FloatVector v0 = FloatVector.broadcast(S, c0), v1 = FloatVector.broadcast(S, c1);
            MemorySegment k0 = ks[0], k1 = ks[1];
            long i = 0;
            for (; i < vb; i += L) {
                FloatVector s = load(k0, i).fma(v0, load(x, i));
                store(load(k1, i).fma(v1, s), out, i);
            }
            for (; i < n; i++) set(out, i, Math.fma(c1, get(k1, i), Math.fma(c0, get(k0, i), get(x, i))));
            return;
        }
        long i = 0;
        for (; i < vb; i += L) {
            FloatVector s = load(x, i);
            for (int t = 0; t < terms; t++) s = load(ks[t], i).fma(FloatVector.broadcast(S, coef[t]), s);
            store(s, out, i);
        }
        for (; i < n; i++) {
            float s = get(x, i);
            for (int t = 0; t < terms; t++) s = Math.fma(coef[t], get(ks[t], i), s);
            set(out, i, s);
        }
    }

    /** avg = decay·avg + (1−decay)·x. */
    public static void ema(MemorySegment avg, MemorySegment x, float decay, long n) {
        ema(avg, x, decay, 0, n);
    }

    /** {@link #ema(MemorySegment, MemorySegment, float, long)} on elements [from, to). */
    public static void ema(MemorySegment avg, MemorySegment x, float decay, long from, long to) {
        float w = 1f - decay;
        long i = from, vb = to - (to - from) % L;
        for (; i < vb; i += L) store(load(avg, i).mul(decay).add(load(x, i).mul(w)), avg, i);
        for (; i < to; i++) set(avg, i, decay * get(avg, i) + w * get(x, i));
    }

    /** Returns Σ(pred−target)² in double and writes grad = gradScale·2·(pred−target): CFM loss and its gradient. */
    public static double squaredErrorGrad(MemorySegment pred, MemorySegment target, MemorySegment grad, long n, float gradScale) {
        float g2 = 2f * gradScale;
        double total = 0;
        long i = 0, vb = vbound(n);
        while (i < vb) {
            long end = Math.min(vb, i + FOLD / 4);
            FloatVector s = FloatVector.zero(S);
            for (; i < end; i += L) {
                FloatVector d = load(pred, i).sub(load(target, i));
                s = d.fma(d, s);
                store(d.mul(g2), grad, i);
            }
            total += LaneSum.of(s);
        }
        for (; i < n; i++) {
            float d = get(pred, i) - get(target, i);
            total += (double) d * d;
            set(grad, i, g2 * d);
        }
        return total;
    }

    /**
     * out[r,c] = base[r,c] + scale[r]·slope[r,c] over rows × cols (a per-row step along a
     * direction: MeanFlow's target v + h·du/dt). out may alias base or slope.
     */
    public static void addScaledRows(MemorySegment base, MemorySegment slope, MemorySegment scale, MemorySegment out, int rows, int cols) {
        int cb = (int) vbound(cols);
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            float sr = get(scale, r);
            int c = 0;
            if (cb > 0) {
                FloatVector sv = FloatVector.broadcast(S, sr);
                for (; c < cb; c += L) store(load(slope, row + c).fma(sv, load(base, row + c)), out, row + c);
            }
            for (; c < cols; c++) set(out, row + c, Math.fma(get(slope, row + c), sr, get(base, row + c)));
        }
    }

    /**
     * y[r, c] += table[index[r], c] for r &lt; rows: an embedding lookup added to rows of width cols
     * (offsets, not a slice per row: slices were a steady-state allocation of the U-Net step).
     */
    public static void addIndexedRows(MemorySegment y, MemorySegment table, int[] index, int rows, int cols) {
        int cb = (int) vbound(cols);
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols, src = (long) index[r] * cols;
            int c = 0;
            for (; c < cb; c += L) store(load(y, row + c).add(load(table, src + c)), y, row + c);
            for (; c < cols; c++) set(y, row + c, get(y, row + c) + get(table, src + c));
        }
    }

    /** table[index[r], c] += x[r, c], rows r in increasing order (the lookup's gradient: a repeated index sums in row order). */
    public static void scatterAddRows(MemorySegment table, MemorySegment x, int[] index, int rows, int cols) {
        int cb = (int) vbound(cols);
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols, dst = (long) index[r] * cols;
            int c = 0;
            for (; c < cb; c += L) store(load(table, dst + c).add(load(x, row + c)), table, dst + c);
            for (; c < cols; c++) set(table, dst + c, get(table, dst + c) + get(x, row + c));
        }
    }
}
