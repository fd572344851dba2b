package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Multi-threaded GEMM: splits the rows of C over a {@link Pool} and calls {@link Gemm}.
 * Allocation-free: the arguments of the current call live in fields and this object is the
 * loop body. One instance serves one caller, sequentially. Results are bitwise independent of
 * the pool size because every element of C is computed the same way whatever rows a thread gets.
 */
public final class MatMul implements Pool.RangeBody {
    /** Multiply-adds a chunk should hold before it is worth waking a thread (~ tens of µs). */
    private static final long MIN_WORK_PER_CHUNK = 1L << 17;
    private static final int NN = 0, TN = 1, NT = 2;

    private final Pool pool;
    private MemorySegment a, b, c;
    private int m, n, k, mode;
    private boolean accumulate;

    public MatMul(Pool pool) {
        this.pool = pool;
    }

    /** C[m×n] (+)= A[m×k]·B[k×n]. */
    public void nn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean accumulate) {
        run(NN, a, b, c, m, n, k, accumulate);
    }

    /** C[m×n] (+)= Aᵀ·B, A stored [k×m], B [k×n]. */
    public void tn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean accumulate) {
        run(TN, a, b, c, m, n, k, accumulate);
    }

    /** C[m×n] (+)= A·Bᵀ, A [m×k], B stored [n×k]. */
    public void nt(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean accumulate) {
        run(NT, a, b, c, m, n, k, accumulate);
    }

    private void run(int mode, MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean accumulate) {
        this.mode = mode;
        this.a = a;
        this.b = b;
        this.c = c;
        this.m = m;
        this.n = n;
        this.k = k;
        this.accumulate = accumulate;
        // Threads get whole micro-tiles of rows (MR each), so only the last one has a ragged tile.
        long perBlock = Math.max(1L, (long) Gemm.MR * n * k);
        int grain = (int) Math.min(Integer.MAX_VALUE, (MIN_WORK_PER_CHUNK + perBlock - 1) / perBlock);
        pool.parallelFor((m + Gemm.MR - 1) / Gemm.MR, grain, this);
    }

    /** Pool callback: row tiles [fromTile, toTile) of C. */
    @Override
    public void range(int fromTile, int toTile) {
        int from = fromTile * Gemm.MR, to = Math.min(m, toTile * Gemm.MR);
        switch (mode) {
            case NN -> Gemm.nn(a, b, c, m, n, k, accumulate, from, to);
            case TN -> Gemm.tn(a, b, c, m, n, k, accumulate, from, to);
            default -> Gemm.nt(a, b, c, m, n, k, accumulate, from, to);
        }
    }
}
