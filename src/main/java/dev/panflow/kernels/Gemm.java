package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-threaded GEMM over row-major float32 segments, writing only rows [r0, r1) of C.
 *
 * <p>Register-blocked broadcast-FMA micro-kernels: one element of A is broadcast and multiplied
 * into vectors of a B row, accumulating a 4×2L (or 4×L; L = lanes) tile of C in registers, so
 * there are no horizontal reductions. Columns beyond the last full vector use scalar
 * {@link Math#fma}. For {@code nt}, a k×2L panel of Bᵀ is packed into a per-thread buffer first.
 *
 * <p>Determinism: every C element is computed as init (old C, or C zeroed first when not
 * accumulating) followed by one fused multiply-add per k, in increasing k, whichever kernel or tail handles it. Vector
 * FMA and Math.fma round identically, so results do not depend on how rows are split.
 */
public final class Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * Columns of the wide micro-kernel: 4 rows × 2 vectors = 8 accumulators. A 4×3-vector tile
     * was faster when compiled well but crossed C2's inlining node budget and boxed vectors.
     */
    private static final int W = 2 * L;
    private static final int MR = 4;              // rows of the micro-kernels
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final MemorySegment ZEROS = Arena.global().allocate(4096, 64);

    /** Per-thread scratch for packed Bᵀ panels; grows (allocates) only when k grows. */
    private static final class Scratch { MemorySegment seg = MemorySegment.NULL; }
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Gemm() {}

    /** C[m×n] (+)= A[m×k]·B[k×n]. */
    public static void nn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1) {
        run(a, k, 1, b, false, c, n, k, accumulate, r0, r1);
    }

    /** C[m×n] (+)= Aᵀ·B, A stored [k×m], B [k×n]. */
    public static void tn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1) {
        run(a, 1, m, b, false, c, n, k, accumulate, r0, r1);
    }

    /** C[m×n] (+)= A·Bᵀ, A [m×k], B stored [n×k]. */
    public static void nt(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1) {
        run(a, k, 1, b, true, c, n, k, accumulate, r0, r1);
    }

    /**
     * A(i,p) = a[i·ars + p·acs]; B(p,j) = b[p·n + j], or b[j·k + p] when {@code bt}.
     * Column blocks outside, row tiles inside, so a B panel is reused by every row of the range.
     */
    private static void run(MemorySegment a, long ars, long acs, MemorySegment b, boolean bt,
                            MemorySegment c, int n, int k, boolean acc, int r0, int r1) {
        if (r1 <= r0 || n <= 0) return;
        if (!acc) zero(c, (long) r0 * n, (long) r1 * n);   // then C (+)= A·B with C = 0
        MemorySegment panel = bt ? scratch((long) k * W) : null;
        int j = 0;
        for (; j + W <= n; j += W) {
            MemorySegment bs = b;
            long bBase = j, ldb = n;
            if (bt) { packT(b, k, j, W, panel); bs = panel; bBase = 0; ldb = W; }
            for (int i = r0; i < r1; i += MR) {
                int i1 = rowOrLast(i + 1, r1), i2 = rowOrLast(i + 2, r1), i3 = rowOrLast(i + 3, r1);
                tile4xW(a, i * ars, i1 * ars, i2 * ars, i3 * ars, acs, bs, bBase, ldb,
                        c, (long) i * n + j, (long) i1 * n + j, (long) i2 * n + j, (long) i3 * n + j, k);
            }
        }
        for (; j + L <= n; j += L) {
            MemorySegment bs = b;
            long bBase = j, ldb = n;
            if (bt) { packT(b, k, j, L, panel); bs = panel; bBase = 0; ldb = L; }
            for (int i = r0; i < r1; i += MR) {
                int i1 = rowOrLast(i + 1, r1), i2 = rowOrLast(i + 2, r1), i3 = rowOrLast(i + 3, r1);
                tile4x1(a, i * ars, i1 * ars, i2 * ars, i3 * ars, acs, bs, bBase, ldb,
                        c, (long) i * n + j, (long) i1 * n + j, (long) i2 * n + j, (long) i3 * n + j, k);
            }
        }
        // Fewer than L columns left: one fma chain per element.
        long bjs = bt ? k : 1, bps = bt ? 1 : n;
        for (; j < n; j++)
            for (int i = r0; i < r1; i++) {
                long ci = (long) i * n + j;
                float s = c.getAtIndex(F, ci);
                long ai = i * ars, bi = j * bjs;
                for (int p = 0; p < k; p++, ai += acs, bi += bps)
                    s = Math.fma(a.getAtIndex(F, ai), b.getAtIndex(F, bi), s);
                c.setAtIndex(F, ci, s);
            }
    }

    private static MemorySegment scratch(long floats) {
        Scratch s = SCRATCH.get();
        if (s.seg.byteSize() < 4 * floats) s.seg = Arena.ofAuto().allocate(Math.max(4 * floats, 4096), 64);
        return s.seg;
    }

    /** panel[p·w + jj] = B[(j0+jj)·k + p]: columns j0..j0+w of Bᵀ, row-major with stride w. */
    private static void packT(MemorySegment b, int k, int j0, int w, MemorySegment panel) {
        for (int jj = 0; jj < w; jj++) {
            long src = (long) (j0 + jj) * k;
            for (int p = 0; p < k; p++) panel.setAtIndex(F, (long) p * w + jj, b.getAtIndex(F, src + p));
        }
    }

    private static FloatVector ld(MemorySegment s, long index) {
        return FloatVector.fromMemorySegment(S, s, 4 * index, NO);
    }

    private static FloatVector bc(MemorySegment s, long index) {
        return FloatVector.broadcast(S, s.getAtIndex(F, index));
    }

    /**
     * Row {@code i} of the current 4-row tile, or the range's last row when {@code i} is past it.
     * A ragged last tile repeats its last row: the repeats load, compute and store the same values,
     * so every call goes through the same two micro-kernels. A 1-row kernel used only for the
     * ragged rows ran too rarely for C2 to compile it (it stayed in C1 code, boxing every vector).
     */
    private static int rowOrLast(int i, int r1) {
        return Math.min(i, r1 - 1);
    }

    /** C rows at c0..c3, 2L columns, += A rows at a0..a3 (column stride acs) times B rows at b[bi + p·ldb]. */
    private static void tile4xW(MemorySegment a, long a0, long a1, long a2, long a3, long acs,
                                 MemorySegment b, long bi, long ldb,
                                 MemorySegment c, long c0, long c1, long c2, long c3, int k) {
        FloatVector x00 = ld(c, c0), x01 = ld(c, c0 + L);
        FloatVector x10 = ld(c, c1), x11 = ld(c, c1 + L);
        FloatVector x20 = ld(c, c2), x21 = ld(c, c2 + L);
        FloatVector x30 = ld(c, c3), x31 = ld(c, c3 + L);
        for (int p = 0; p < k; p++, bi += ldb, a0 += acs, a1 += acs, a2 += acs, a3 += acs) {
            FloatVector b0 = ld(b, bi), b1 = ld(b, bi + L);
            FloatVector v = bc(a, a0);
            x00 = v.fma(b0, x00); x01 = v.fma(b1, x01);
            v = bc(a, a1);
            x10 = v.fma(b0, x10); x11 = v.fma(b1, x11);
            v = bc(a, a2);
            x20 = v.fma(b0, x20); x21 = v.fma(b1, x21);
            v = bc(a, a3);
            x30 = v.fma(b0, x30); x31 = v.fma(b1, x31);
        }
        st(x00, c, c0); st(x01, c, c0 + L);
        st(x10, c, c1); st(x11, c, c1 + L);
        st(x20, c, c2); st(x21, c, c2 + L);
        st(x30, c, c3); st(x31, c, c3 + L);
    }

    /** As {@link #tile4xW} for L columns. */
    private static void tile4x1(MemorySegment a, long a0, long a1, long a2, long a3, long acs,
                                MemorySegment b, long bi, long ldb,
                                MemorySegment c, long c0, long c1, long c2, long c3, int k) {
        FloatVector x0 = ld(c, c0), x1 = ld(c, c1), x2 = ld(c, c2), x3 = ld(c, c3);
        for (int p = 0; p < k; p++, bi += ldb, a0 += acs, a1 += acs, a2 += acs, a3 += acs) {
            FloatVector b0 = ld(b, bi);
            x0 = bc(a, a0).fma(b0, x0);
            x1 = bc(a, a1).fma(b0, x1);
            x2 = bc(a, a2).fma(b0, x2);
            x3 = bc(a, a3).fma(b0, x3);
        }
        st(x0, c, c0); st(x1, c, c1); st(x2, c, c2); st(x3, c, c3);
    }

    /**
     * Zeroes C[from..to) (float indices) so every tile can start from its accumulators from C.
     * Tiles that chose between loading C and a zero vector made C2 box the merged vectors, and
     * zeroing inside the tile pushed it over C2's inlining node budget (boxing again).
     */
    private static void zero(MemorySegment c, long from, long to) {
        long off = 4 * from, end = 4 * to, chunk = ZEROS.byteSize();
        while (off < end) {
            long len = Math.min(chunk, end - off);
            MemorySegment.copy(ZEROS, 0, c, off, len);
            off += len;
        }
    }

    private static void st(FloatVector v, MemorySegment c, long index) {
        v.intoMemorySegment(c, 4 * index, NO);
    }
}
