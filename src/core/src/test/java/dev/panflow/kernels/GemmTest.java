package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

import static dev.panflow.kernels.KernelTestUtil.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class GemmTest {
    enum Op { NN, TN, NT }

    interface GemmFn {
        void run(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean acc, int r0, int r1);
    }

    static GemmFn vector(Op op) {
        return switch (op) { case NN -> Gemm::nn; case TN -> Gemm::tn; case NT -> Gemm::nt; };
    }

    interface GemmColsFn {
        void run(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean acc, int r0, int r1, int j0, int j1);
    }

    static GemmColsFn columns(Op op) {
        return switch (op) { case NN -> Gemm::nn; case TN -> Gemm::tn; case NT -> Gemm::nt; };
    }

    static GemmFn scalar(Op op) {
        return switch (op) { case NN -> GemmScalar::nn; case TN -> GemmScalar::tn; case NT -> GemmScalar::nt; };
    }

    /** Double-precision naive C (+)= op(A)·op(B). */
    static double[] reference(Op op, MemorySegment a, MemorySegment b, MemorySegment c0, int m, int n, int k, boolean acc) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = acc ? c0.getAtIndex(F, (long) i * n + j) : 0;
                for (int p = 0; p < k; p++) {
                    double av = op == Op.TN ? a.getAtIndex(F, (long) p * m + i) : a.getAtIndex(F, (long) i * k + p);
                    double bv = op == Op.NT ? b.getAtIndex(F, (long) j * k + p) : b.getAtIndex(F, (long) p * n + j);
                    s += av * bv;
                }
                out[i * n + j] = s;
            }
        return out;
    }

    /** Sum of |a·b| terms bounds the rounding error of a dot product. */
    static double[] magnitude(Op op, MemorySegment a, MemorySegment b, MemorySegment c0, int m, int n, int k, boolean acc) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = acc ? Math.abs(c0.getAtIndex(F, (long) i * n + j)) : 0;
                for (int p = 0; p < k; p++) {
                    double av = op == Op.TN ? a.getAtIndex(F, (long) p * m + i) : a.getAtIndex(F, (long) i * k + p);
                    double bv = op == Op.NT ? b.getAtIndex(F, (long) j * k + p) : b.getAtIndex(F, (long) p * n + j);
                    s += Math.abs(av * bv);
                }
                out[i * n + j] = s;
            }
        return out;
    }

    static void check(Op op, int m, int n, int k, boolean acc, SplittableRandom rnd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = random(arena, (long) m * k, rnd, -1, 1);
            MemorySegment b = random(arena, (long) k * n, rnd, -1, 1);
            MemorySegment c0 = random(arena, (long) m * n, rnd, -1, 1);
            MemorySegment cv = copyOf(arena, c0), cs = copyOf(arena, c0);
            vector(op).run(a, b, cv, m, n, k, acc, 0, m);
            scalar(op).run(a, b, cs, m, n, k, acc, 0, m);
            double[] ref = reference(op, a, b, c0, m, n, k, acc);
            double[] mag = magnitude(op, a, b, c0, m, n, k, acc);
            String what = op + " m=" + m + " n=" + n + " k=" + k + " acc=" + acc;
            for (int i = 0; i < m * n; i++) {
                double tol = 4e-7 * (k + 2) * mag[i] + 1e-30;
                double v = cv.getAtIndex(F, i), s = cs.getAtIndex(F, i);
                if (Math.abs(v - ref[i]) > tol) fail(what + " vector vs double at " + i + ": " + v + " vs " + ref[i]);
                if (Math.abs(s - ref[i]) > tol) fail(what + " scalar vs double at " + i + ": " + s + " vs " + ref[i]);
            }
            // Slack past m×n must be untouched.
            assertBitwiseEqual(cv.asSlice(4L * m * n), c0.asSlice(4L * m * n), 16, what + " slack");

            // Row sub-ranges: each element is computed the same way, so the result is bitwise equal.
            MemorySegment cr = copyOf(arena, c0);
            int cut1 = rnd.nextInt(m + 1), cut2 = cut1 + rnd.nextInt(m - cut1 + 1);
            vector(op).run(a, b, cr, m, n, k, acc, cut1, cut2);
            // rows outside [cut1, cut2) untouched
            assertBitwiseEqual(cr, c0, (long) cut1 * n, what + " rows before r0");
            assertBitwiseEqual(cr.asSlice(4L * cut2 * n), c0.asSlice(4L * cut2 * n), (long) (m - cut2) * n, what + " rows after r1");
            vector(op).run(a, b, cr, m, n, k, acc, 0, cut1);
            vector(op).run(a, b, cr, m, n, k, acc, cut2, m);
            assertBitwiseEqual(cr, cv, (long) m * n, what + " split [" + cut1 + "," + cut2 + ")");

            // Column sub-ranges of a row range (MatMul splits wide C by columns): bitwise equal too.
            MemorySegment cc = copyOf(arena, c0);
            int jcut = rnd.nextInt(n + 1);
            columns(op).run(a, b, cc, m, n, k, acc, cut1, cut2, 0, jcut);
            for (int i = 0; i < m; i++)   // columns past jcut untouched
                assertBitwiseEqual(cc.asSlice(4L * (i * n + jcut)), c0.asSlice(4L * (i * n + jcut)), n - jcut, what + " cols after j1");
            columns(op).run(a, b, cc, m, n, k, acc, cut1, cut2, jcut, n);
            columns(op).run(a, b, cc, m, n, k, acc, 0, cut1, 0, n);
            columns(op).run(a, b, cc, m, n, k, acc, cut2, m, 0, n);
            assertBitwiseEqual(cc, cv, (long) m * n, what + " column split at " + jcut);
        }
    }

    @Test
    void raggedShapesAllOps() {
        SplittableRandom rnd = new SplittableRandom(1);
        int[] sizes = {1, 3, 7, 9, 16, 17, 33};
        for (Op op : Op.values())
            for (int m : sizes)
                for (int n : sizes)
                    for (int k : new int[] {1, 7, 17, 33})
                        check(op, m, n, k, (m + n + k) % 2 == 0, rnd);
    }

    @Test
    void largerRaggedShapes() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (Op op : Op.values())
            for (boolean acc : new boolean[] {false, true}) {
                check(op, 100, 257, 15, acc, rnd);
                check(op, 257, 100, 9, acc, rnd);
                check(op, 33, 49, 257, acc, rnd);
                check(op, 64, 72, 100, acc, rnd);
                check(op, 21, 35, 1100, acc, rnd);   // several k slices at any KC, the last ragged
            }
    }

    /** Blocks of equal length (the last shorter), at most max, multiples of unit, covering len with as few as possible. */
    @Test
    void blockLengthsAreEqualAndFew() {
        assertEquals(196, Gemm.step(784, 256, 1));
        assertEquals(392, Gemm.step(784, 512, 1));
        assertEquals(512, Gemm.step(1024, 512, 1));
        assertEquals(88, Gemm.step(256, 120, 4));
        assertEquals(7, Gemm.step(7, 120, 4));
        SplittableRandom rnd = new SplittableRandom(4);
        for (int t = 0; t < 2000; t++) {
            int unit = rnd.nextInt(1, 9), max = unit * rnd.nextInt(1, 40), len = rnd.nextInt(1, 5000);
            int step = Gemm.step(len, max, unit), blocks = (len + step - 1) / step;
            String what = "len " + len + " max " + max + " unit " + unit + ": step " + step;
            assertTrue(step >= 1 && step <= max, what);
            assertEquals((len + max - 1) / max, blocks, what + " uses more blocks than needed");
            if (len > max) assertEquals(0, step % unit, what + " not a multiple of the unit");
            assertTrue(len - (blocks - 1) * step <= step, what);
        }
    }

    @Test
    void zeroK() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (Op op : Op.values()) {
            check(op, 5, 9, 0, true, rnd);
            check(op, 5, 9, 0, false, rnd);
        }
    }

    /** B packed once (packWhole) and shared: nnPacked gives the bits of nn and nt, row ranges and ragged shapes included. */
    @Test
    void prepackedBMatchesNnAndNtBitwise() {
        SplittableRandom rnd = new SplittableRandom(77);
        int[][] shapes = {{1, 1, 1}, {5, 3, 2}, {37, 33, 17}, {64, 128, 128}, {9, 40, 300}, {13, 1030, 5}, {130, 70, 520}};
        try (Arena arena = Arena.ofConfined()) {
            for (int[] sh : shapes) {
                int m = sh[0], n = sh[1], k = sh[2];
                MemorySegment a = random(arena, (long) m * k, rnd, -1, 1), b = random(arena, (long) k * n, rnd, -1, 1);
                for (boolean bt : new boolean[] {false, true}) {
                    float[] packed = new float[Gemm.packedSize(k, n) + 3];
                    Gemm.packWhole(b, bt, k, n, packed);
                    MemorySegment c1 = random(arena, (long) m * n, rnd, -1, 1), c2 = random(arena, (long) m * n, rnd, -1, 1);
                    if (bt) Gemm.nt(a, b, c1, m, n, k, false, 0, m); else Gemm.nn(a, b, c1, m, n, k, false, 0, m);
                    int mid = m / 2;   // two row ranges, as two threads would run them
                    Gemm.nnPacked(a, packed, c2, n, k, 0, mid);
                    Gemm.nnPacked(a, packed, c2, n, k, mid, m);
                    assertBitwiseEqual(c1, c2, (long) m * n, (bt ? "nt" : "nn") + " prepacked " + m + "x" + n + "x" + k);
                }
            }
        }
    }

    /**
     * Bias + SiLU in the GEMM's epilogue: the same bits as nn then Elementwise.biasSilu, for
     * whole and packed B, row and column ranges, ragged tiles, several k slices, k = 0, and
     * post = pre (inference); close to the scalar twin.
     */
    @Test
    void biasSiluEpilogueMatchesNnThenBiasSiluBitwise() {
        SplittableRandom rnd = new SplittableRandom(91);
        int[][] shapes = {{1, 1, 1}, {5, 3, 2}, {4, 16, 7}, {37, 33, 17}, {64, 128, 128}, {9, 40, 300},
                {13, 1030, 5}, {130, 70, 520}, {7, 17, 0}, {rnd.nextInt(1, 60), rnd.nextInt(1, 80), rnd.nextInt(1, 600)}};
        try (Arena arena = Arena.ofConfined()) {
            for (int[] sh : shapes) {
                int m = sh[0], n = sh[1], k = sh[2];
                String what = m + "x" + n + "x" + k;
                MemorySegment a = random(arena, (long) m * k + 1, rnd, -1, 1), b = random(arena, (long) k * n + 1, rnd, -1, 1);
                MemorySegment bias = random(arena, n, rnd, -1, 1);
                long mn = (long) m * n;
                // Reference: the unfused pair.
                MemorySegment preR = random(arena, mn + 16, rnd, -1, 1), postR = copyOf(arena, preR);
                MemorySegment slack = copyOf(arena, preR);
                Gemm.nn(a, b, preR, m, n, k, false, 0, m);
                Elementwise.biasSilu(preR, bias, postR, 0, m, n);
                // Fused, whole B, in two row ranges and then two column ranges.
                MemorySegment pre = copyOf(arena, slack), post = copyOf(arena, slack);
                int cut = rnd.nextInt(m + 1), jcut = rnd.nextInt(n + 1);
                Gemm.nnBiasSilu(a, b, bias, pre, post, m, n, k, 0, cut, 0, n);
                Gemm.nnBiasSilu(a, b, bias, pre, post, m, n, k, cut, m, 0, jcut);
                Gemm.nnBiasSilu(a, b, bias, pre, post, m, n, k, cut, m, jcut, n);
                assertBitwiseEqual(pre, preR, mn + 16, what + " pre");
                assertBitwiseEqual(post, postR, mn + 16, what + " post");
                // Packed B, two row ranges.
                float[] packed = new float[Gemm.packedSize(k, n) + 3];
                Gemm.packWhole(b, false, k, n, packed);
                MemorySegment pre2 = copyOf(arena, slack), post2 = copyOf(arena, slack);
                Gemm.nnPackedBiasSilu(a, packed, bias, pre2, post2, n, k, 0, cut);
                Gemm.nnPackedBiasSilu(a, packed, bias, pre2, post2, n, k, cut, m);
                assertBitwiseEqual(pre2, preR, mn + 16, what + " packed pre");
                assertBitwiseEqual(post2, postR, mn + 16, what + " packed post");
                // In place (post = pre): only silu kept.
                MemorySegment inPlace = copyOf(arena, slack), inPlace2 = copyOf(arena, slack);
                Gemm.nnBiasSilu(a, b, bias, inPlace, inPlace, m, n, k, 0, m, 0, n);
                Gemm.nnPackedBiasSilu(a, packed, bias, inPlace2, inPlace2, n, k, 0, m);
                assertBitwiseEqual(inPlace, postR, mn + 16, what + " in place");
                assertBitwiseEqual(inPlace2, postR, mn + 16, what + " packed in place");
                // Scalar twin: within the GEMM's rounding (the twin sums without fma).
                MemorySegment preS = copyOf(arena, slack), postS = copyOf(arena, slack);
                GemmScalar.nnBiasSilu(a, b, bias, preS, postS, m, n, k, 0, m);
                for (long i = 0; i < mn; i++) {
                    float v = pre.getAtIndex(F, i), s = preS.getAtIndex(F, i);
                    float pv = post.getAtIndex(F, i), ps = postS.getAtIndex(F, i);
                    double tol = 1e-6 * (k + 2) * 2 + 1e-6;
                    if (Math.abs(v - s) > tol || Math.abs(pv - ps) > 2 * tol)
                        fail(what + " vs scalar twin at " + i + ": " + v + "/" + s + ", " + pv + "/" + ps);
                }
            }
        }
    }
}
