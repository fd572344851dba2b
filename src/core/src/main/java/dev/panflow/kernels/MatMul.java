package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Multi-threaded GEMM: splits the rows (or, when C is wider than tall, the columns) of C over a
 * {@link Pool} and calls {@link Gemm}. Split by rows, a product that overwrites C (nn, nt) packs
 * op(B) once, its micro-panels shared out over the pool, and every thread's rows then read that
 * one copy ({@link Gemm#nnPacked}): otherwise each thread packs all of B itself, which on a
 * batch of 256 rows and two threads is a read and a write of B per 128 rows of work.
 * Allocation-free: the arguments of the current call live in fields and this object is the
 * loop body. One instance serves one caller, sequentially. Results are bitwise independent of
 * the pool size because every element of C is computed the same way whatever rows a thread gets.
 */
public final class MatMul implements Pool.RangeBody {
    /** Multiply-adds a chunk should hold before it is worth waking a thread (~ tens of µs). */
    private static final long MIN_WORK_PER_CHUNK = 1L << 17;
    /** Floats of packed B a packing chunk should hold before it is worth waking a thread. */
    private static final int MIN_PACK_PER_CHUNK = 1 << 15;
    private static final int NN = 0, TN = 1, NT = 2, PACKED = 3;

    private final Pool pool;
    private MemorySegment a, b, c;
    private int m, n, k, mode;
    private boolean accumulate, byColumns;
    /** op(B) packed whole for {@link #PACKED}: grown to the largest product seen, then reused. */
    private float[] packed = new float[0];
    private final PackBody packer = new PackBody();

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
        // Each thread packs the whole of the operand it shares: all of B when rows are split (but
        // see PACKED), all of A when columns are. Split the dimension that makes it the smaller one.
        // Threads get whole micro-tiles (MR rows or NR columns), so only the last has a ragged one.
        byColumns = n > m;
        int tile = byColumns ? Gemm.NR : Gemm.MR, tiles = ((byColumns ? n : m) + tile - 1) / tile;
        long perTile = Math.max(1L, (long) tile * (byColumns ? m : n) * k);
        int grain = (int) Math.min(Integer.MAX_VALUE, (MIN_WORK_PER_CHUNK + perTile - 1) / perTile);
        if (!byColumns && !accumulate && mode != TN && k > 0 && Math.min(pool.threads(), tiles / grain) > 1) {
            int size = Gemm.packedSize(k, n);
            if (packed.length < size) packed = new float[size];
            PackBody p = packer;
            p.b = b;
            p.bt = mode == NT;
            int w = Gemm.panelWidth(), panels = (n + w - 1) / w;
            pool.parallelFor(panels, Math.max(1, MIN_PACK_PER_CHUNK / (k * w)), p);
            p.b = null;
            this.mode = PACKED;
        }
        pool.parallelFor(tiles, grain, this);
        this.a = this.b = this.c = null;
    }

    /** Micro-panels [from, to) of op(B) into {@link #packed}. */
    private final class PackBody implements Pool.RangeBody {
        MemorySegment b;
        boolean bt;

        @Override
        public void range(int from, int to) {
            Gemm.packWhole(b, bt, k, n, packed, from, to);
        }
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
            case PACKED -> Gemm.nnPacked(a, packed, c, n, k, r0, r1);
            default -> Gemm.nt(a, b, c, m, n, k, accumulate, r0, r1, j0, j1);
        }
    }
}
