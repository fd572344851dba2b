package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Multi-threaded GEMM: splits the rows (or, when C is wider than tall, the columns) of C over a
 * {@link Pool} and calls {@link Gemm}.
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
    private boolean accumulate, byColumns;

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
        // Each thread packs the whole of the operand it shares: all of B when rows are split, all
        // of A when columns are. Split the dimension that makes the shared operand the smaller one.
        // Threads get whole micro-tiles (MR rows or NR columns), so only the last has a ragged one.
        byColumns = n > m;
        int tile = byColumns ? Gemm.NR : Gemm.MR, tiles = ((byColumns ? n : m) + tile - 1) / tile;
        long perTile = Math.max(1L, (long) tile * (byColumns ? m : n) * k);
        int grain = (int) Math.min(Integer.MAX_VALUE, (MIN_WORK_PER_CHUNK + perTile - 1) / perTile);
        pool.parallelFor(tiles, grain, this);
    }

    /** Pool callback: row tiles (or column tiles) [fromTile, toTile) of C. */
    @Override
    public void range(int fromTile, int toTile) {
        int r0 = 0, r1 = m, j0 = 0, j1 = n;
        if (byColumns) { j0 = fromTile * Gemm.NR; j1 = Math.min(n, toTile * Gemm.NR); }
        else { r0 = fromTile * Gemm.MR; r1 = Math.min(m, toTile * Gemm.MR); }
        switch (mode) {
            case NN -> Gemm.nn(a, b, c, m, n, k, accumulate, r0, r1, j0, j1);
            case TN -> Gemm.tn(a, b, c, m, n, k, accumulate, r0, r1, j0, j1);
            default -> Gemm.nt(a, b, c, m, n, k, accumulate, r0, r1, j0, j1);
        }
    }
}
