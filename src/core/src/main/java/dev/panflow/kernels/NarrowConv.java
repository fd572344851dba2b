package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * 3×3, stride 1, pad 1 convolutions with at most {@value #MAX_K} output channels (a U-Net's
 * output layer), vectorised over each image's flattened plane. On these shapes blocked layouts
 * pad K to 8 and im2col makes a one-row GEMM, so both waste most of their work.
 * <p>
 * Each input plane of an image is copied once into a zero-bordered grid of row stride W' = W+1:
 * Q[(h+1)·W' + w + 1] = x(h, w), zero elsewhere. Output o = h·W' + w of the same grid is then
 * Σ_{r,s} w[r,s]·Q[o + r·W' + s], one shifted vector load per tap: a tap past a row's edge reads
 * the zero column between rows. Outputs at w = W are discarded when the rows are written out.
 * Backward data is the same sum over dL/dy's planes with the kernel flipped. Images run in order
 * on the caller; weight gradients are summed image by image, so results depend on the inputs only.
 */
public final class NarrowConv implements ConvKernels {
    public static final int MAX_K = 4;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** The largest image plane set (planes·h·w floats) copied at once: the copies stay in L2. */
    private static final long MAX_IMAGE = 1 << 16;

    /** The grids Q and one output grid, on the heap: vector loads from an array at gathered offsets check one bound, not a segment's. */
    private float[] pad = new float[0], grid = new float[0];
    private float[] coef = new float[0];
    private double[] dwSum = new double[0];
    private int[] offs = new int[0];
    private ConvShape offsetsShape;
    private int offsetsPlanes;

    /** Whether these kernels handle {@code sh}. */
    public static boolean handles(ConvShape sh) {
        return sh.k() <= MAX_K && sh.r() == 3 && sh.s() == 3 && sh.stride() == 1 && sh.pad() == 1
                && (long) Math.max(sh.c(), sh.k()) * sh.h() * sh.w() <= MAX_IMAGE;
    }

    @Override
    public String name() {
        return "jvm:narrow";
    }

    /** Floats of one zero-bordered grid: H+2 rows of W+1, and two so that the last tap of the last output is inside. */
    private static int planeLen(ConvShape sh) { return (sh.h() + 2) * (sh.w() + 1) + 2; }

    /** Outputs of one plane on the grid of row stride W+1 (the last column of each row discarded). */
    private static int gridLen(ConvShape sh) { return sh.h() * (sh.w() + 1); }

    @Override
    public void forward(ConvShape sh, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y) {
        check(sh);
        int c = sh.c(), k = sh.k(), hw = sh.h() * sh.w();
        float[] cf = coefficients(c * 9);
        for (int n = 0; n < sh.n(); n++) {
            copyToGrids(sh, x, n, c);
            for (int kk = 0; kk < k; kk++) {
                for (int t = 0; t < c * 9; t++) cf[t] = w.getAtIndex(F, (long) kk * c * 9 + t);
                float b = MemorySegment.NULL.equals(bias) ? 0f : bias.getAtIndex(F, kk);
                // y_kk[o] = b + Σ_c Σ_{r,s} w[kk,c,r,s] · Q_c[o + r·W' + s]
                taps(sh, c, cf, b);
                rowsOut(sh, y, ((long) n * k + kk) * hw);
            }
        }
    }

    @Override
    public void backwardData(ConvShape sh, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        check(sh);
        int c = sh.c(), k = sh.k(), hw = sh.h() * sh.w();
        float[] cf = coefficients(k * 9);
        for (int n = 0; n < sh.n(); n++) {
            copyToGrids(sh, dy, n, k);
            for (int cc = 0; cc < c; cc++) {
                // dx_cc[o] = Σ_k Σ_{r,s} w[k,cc,2−r,2−s] · Q_k[o + r·W' + s]: the forward with the kernel flipped
                for (int kk = 0; kk < k; kk++)
                    for (int t = 0; t < 9; t++) cf[kk * 9 + t] = w.getAtIndex(F, ((long) kk * c + cc) * 9 + 8 - t);
                taps(sh, k, cf, 0f);
                rowsOut(sh, dx, ((long) n * c + cc) * hw);
            }
        }
    }

    @Override
    public void backwardWeights(ConvShape sh, MemorySegment x, MemorySegment dy, MemorySegment dw, MemorySegment db) {
        check(sh);
        int c = sh.c(), k = sh.k(), w = sh.w(), hw = sh.h() * w, taps = k * c * 9, gl = gridLen(sh), pl = planeLen(sh);
        if (dwSum.length < taps + k) dwSum = new double[taps + k];
        java.util.Arrays.fill(dwSum, 0, taps + k, 0);
        if (grid.length < gl) grid = new float[gl];
        float[] d = grid;
        for (int n = 0; n < sh.n(); n++) {
            copyToGrids(sh, x, n, c);
            for (int kk = 0; kk < k; kk++) {
                long g = ((long) n * k + kk) * hw;
                dwSum[taps + kk] += Elementwise.sumRange(dy, g, hw);
                // dL/dy on the output grid, zero in the discarded column: then every grid output may be summed
                for (int h = 0; h < sh.h(); h++) {
                    MemorySegment.copy(dy, F, 4 * (g + (long) h * w), d, h * (w + 1), w);
                    d[h * (w + 1) + w] = 0f;
                }
                // dw[kk,c,r,s] += Σ_o dy[o] · Q_c[o + r·W' + s]
                for (int cc = 0; cc < c; cc++)
                    for (int r = 0; r < 3; r++) dotsRow(pad, cc * pl + r * (w + 1), d, gl, dwSum, (kk * c + cc) * 9 + 3 * r);
            }
        }
        for (int t = 0; t < taps; t++) dw.setAtIndex(F, t, (float) dwSum[t]);
        if (!MemorySegment.NULL.equals(db)) for (int kk = 0; kk < k; kk++) db.setAtIndex(F, kk, (float) dwSum[taps + kk]);
    }

    @Override
    public void close() {
        pad = grid = new float[0];
    }

    private static void check(ConvShape sh) {
        if (!handles(sh)) throw new IllegalArgumentException("NarrowConv does not handle " + sh);
    }

    private float[] coefficients(int n) {
        if (coef.length < n) coef = new float[n];
        return coef;
    }

    /** Each of the {@code planes} planes of image {@code img} into its zero-bordered grid Q. */
    private void copyToGrids(ConvShape sh, MemorySegment src, int img, int planes) {
        int w = sh.w(), hw = sh.h() * w, pl = planeLen(sh), need = planes * pl;
        if (pad.length < need) pad = new float[need];
        float[] q = pad;
        for (int p = 0; p < planes; p++) {
            long from = ((long) img * planes + p) * hw;
            int base = p * pl;
            java.util.Arrays.fill(q, base, base + w + 2, 0f);                  // the top border row and the first row's zero
            for (int h = 0; h < sh.h(); h++) {
                int row = base + (h + 1) * (w + 1) + 1;
                MemorySegment.copy(src, F, 4 * (from + (long) h * w), q, row, w);
                q[row + w] = 0f;                                              // the zero between this row and the next
            }
            java.util.Arrays.fill(q, base + (sh.h() + 1) * (w + 1) + 1, base + pl, 0f); // the bottom border row
        }
    }

    /** The grid's rows without their last column into out[off …]. */
    private void rowsOut(ConvShape sh, MemorySegment out, long off) {
        int w = sh.w();
        for (int h = 0; h < sh.h(); h++) MemorySegment.copy(grid, h * (w + 1), out, F, 4 * (off + (long) h * w), w);
    }

    /**
     * grid[o] = b + Σ_p Σ_{r,s} cf[p·9 + r·3 + s] · Q_p[o + r·W' + s] for every output o of the grid.
     * Each vector loop is a method of its own over the flat tap list: accumulators carried
     * through nested loops got boxed by C2 (allocation on every tap).
     */
    private void taps(ConvShape sh, int planes, float[] cf, float b) {
        int gl = gridLen(sh), nt = planes * 9;
        if (grid.length < gl) grid = new float[gl];
        int[] at = offsets(sh, planes);
        float[] p = pad, out = grid;
        int o = 0;
        for (; o + 4 * L <= gl; o += 4 * L) tile4(p, at, cf, nt, b, out, o);
        for (; o + L <= gl; o += L) tile1(p, at, cf, nt, b, out, o);
        for (; o < gl; o++) {
            float a = b;
            for (int t = 0; t < nt; t++) a = Math.fma(p[at[t] + o], cf[t], a);
            out[o] = a;
        }
    }

    /** Outputs o … o + 4L − 1 of {@link #taps}. */
    private static void tile4(float[] p, int[] at, float[] cf, int nt, float b, float[] out, int o) {
        // Each accumulator its own vector: phis that shared one initial vector got it boxed by C2.
        FloatVector a0 = FloatVector.broadcast(S, b), a1 = FloatVector.broadcast(S, b), a2 = FloatVector.broadcast(S, b),
                a3 = FloatVector.broadcast(S, b);
        for (int t = 0; t < nt; t++) {
            int q = at[t] + o;
            FloatVector c = FloatVector.broadcast(S, cf[t]);
            a0 = FloatVector.fromArray(S, p, q).fma(c, a0);
            a1 = FloatVector.fromArray(S, p, q + L).fma(c, a1);
            a2 = FloatVector.fromArray(S, p, q + 2 * L).fma(c, a2);
            a3 = FloatVector.fromArray(S, p, q + 3 * L).fma(c, a3);
        }
        a0.intoArray(out, o);
        a1.intoArray(out, o + L);
        a2.intoArray(out, o + 2 * L);
        a3.intoArray(out, o + 3 * L);
    }

    /** Outputs o … o + L − 1 of {@link #taps}. */
    private static void tile1(float[] p, int[] at, float[] cf, int nt, float b, float[] out, int o) {
        FloatVector a0 = FloatVector.broadcast(S, b);
        for (int t = 0; t < nt; t++) a0 = FloatVector.fromArray(S, p, at[t] + o).fma(FloatVector.broadcast(S, cf[t]), a0);
        a0.intoArray(out, o);
    }

    /**
     * acc[at + s] += Σ_{o < n} d[o] · q[t + o + s] for s = 0, 1, 2: one kernel row's three taps.
     * Three accumulators a method (nine in one went past C2's inlining budget, and its loads were
     * then left as calls on boxed vectors).
     */
    private static void dotsRow(float[] q, int t, float[] d, int n, double[] acc, int at) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S);
        int vb = n - n % L, o = 0;
        for (; o < vb; o += L) {
            FloatVector dv = FloatVector.fromArray(S, d, o);
            s0 = FloatVector.fromArray(S, q, t + o).fma(dv, s0);
            s1 = FloatVector.fromArray(S, q, t + o + 1).fma(dv, s1);
            s2 = FloatVector.fromArray(S, q, t + o + 2).fma(dv, s2);
        }
        float r0 = LaneSum.of(s0), r1 = LaneSum.of(s1), r2 = LaneSum.of(s2);
        for (; o < n; o++) {
            r0 = Math.fma(q[t + o], d[o], r0);
            r1 = Math.fma(q[t + o + 1], d[o], r1);
            r2 = Math.fma(q[t + o + 2], d[o], r2);
        }
        acc[at] += r0;
        acc[at + 1] += r1;
        acc[at + 2] += r2;
    }

    /** Offsets r·W' + s (+ the plane's start) of tap t = p·9 + r·3 + s, made once per shape. */
    private int[] offsets(ConvShape sh, int planes) {
        if (!sh.equals(offsetsShape) || offsetsPlanes != planes) {
            if (offs.length < planes * 9) offs = new int[planes * 9];
            int pl = planeLen(sh), w1 = sh.w() + 1;
            for (int t = 0; t < planes * 9; t++) offs[t] = t / 9 * pl + t % 9 / 3 * w1 + t % 3;
            offsetsShape = sh;
            offsetsPlanes = planes;
        }
        return offs;
    }
}
