package dev.panflow.ode;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Owns the stage buffers: {@code count} float buffers of n elements in a shared arena (worker
 * threads of a field may touch them), regrown only when a larger batch comes.
 */
abstract class AbstractSolver implements OdeSolver {
    private final int count;
    private Arena arena;
    private MemorySegment[] full;
    private long capacity = -1;
    private long viewN = -1;
    /** The buffers as n-float views; valid after {@link #buffers(long)}. */
    protected final MemorySegment[] buf;

    AbstractSolver(int count) {
        this.count = count;
        this.buf = new MemorySegment[count];
    }

    /** Makes buf[0..count) views of n floats each; allocates only when n exceeds the capacity. */
    protected final void buffers(long n) {
        if (n > capacity) {
            if (arena != null) arena.close();
            arena = Arena.ofShared();
            full = new MemorySegment[count];
            for (int i = 0; i < count; i++) full[i] = arena.allocate(Math.max(4, 4 * n), 64);
            capacity = n;
            viewN = -1;
        }
        if (n != viewN) {
            for (int i = 0; i < count; i++) buf[i] = full[i].asSlice(0, 4 * n);
            viewN = n;
        }
    }

    /** Every solver here reports its steps: the plain solve is the listening one with no listener. */
    @Override
    public final SolveStats solve(VelocityField f, MemorySegment x, int rows, float t0, float t1) {
        return solve(f, x, rows, t0, t1, SolveListener.NONE);
    }

    @Override
    public abstract SolveStats solve(VelocityField f, MemorySegment x, int rows, float t0, float t1, SolveListener listener);

    protected static long size(VelocityField f, MemorySegment x, int rows) {
        if (rows < 0) throw new IllegalArgumentException("rows < 0: " + rows);
        long n = (long) rows * f.dim();
        if (x.byteSize() < 4 * n)
            throw new IllegalArgumentException("x holds " + x.byteSize() / 4 + " floats, need " + rows + "×" + f.dim());
        return n;
    }

    /** Frees the buffers; a later solve allocates them again. */
    @Override
    public void close() {
        if (arena != null) arena.close();
        arena = null;
        full = null;
        capacity = -1;
        viewN = -1;
        java.util.Arrays.fill(buf, null);
    }
}
