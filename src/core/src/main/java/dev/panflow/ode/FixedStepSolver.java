package dev.panflow.ode;

import dev.panflow.kernels.Pool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Explicit Runge–Kutta with a fixed number of equal steps; time kept in double.
 *
 * <p>For a {@link ChunkedField} with more rows than one chunk, the rows are integrated chunk by
 * chunk: each pool thread takes the next chunk, copies its rows into buffers of its own, runs
 * every step on them through its own evaluator, and copies them back. Rows are independent and
 * every step is elementwise per row, so the result is bitwise that of integrating all rows at
 * once, whatever the thread count or the order chunks are taken in.
 */
abstract class FixedStepSolver extends AbstractSolver {
    protected final int steps;
    private final int stages;
    private final int bufferCount;
    private final MemorySegment[] ks = new MemorySegment[4];
    private final Chunks chunks = new Chunks();
    /**
     * Fewest rows a thread's chunk is cut to: a chunked solve wakes the pool once per solve, not
     * once per evaluation as a field's own row split does, so even a few rows pay for a thread.
     */
    static final int MIN_CHUNK_ROWS = 8;
    private TimeSchedule schedule = TimeSchedule.UNIFORM;

    FixedStepSolver(int steps, int stages, int buffers) {
        super(buffers);
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        this.steps = steps;
        this.stages = stages;
        this.bufferCount = buffers;
    }

    public int steps() { return steps; }

    /** Steps between the grid points t0 + (t1 − t0)·φ(i/steps) of {@code schedule} instead of equal ones. */
    void schedule(TimeSchedule schedule) { this.schedule = schedule; }

    @Override
    public final SolveStats solve(VelocityField f, MemorySegment x, int rows, float t0, float t1, SolveListener listener) {
        long n = size(f, x, rows);
        if (t0 == t1 || n == 0) return new SolveStats(0, 0, 0);
        boolean chunked = f instanceof ChunkedField cf && cf.pool() != null && cf.pool().threads() > 1
                && rows >= 2 * MIN_CHUNK_ROWS;
        if (!schedule.isUniform()) {
            // Unequal steps: the coefficients change per step, so every chunk takes step i before any takes i + 1.
            if (!chunked) buffers(n);
            MemorySegment xs = x.asSlice(0, 4 * n);
            double span = (double) t1 - t0;
            for (int i = 0; i < steps; i++) {
                double a = t0 + span * schedule.at((double) i / steps), b = t0 + span * schedule.at((double) (i + 1) / steps);
                prepare((float) (b - a));
                if (chunked) chunks.run((ChunkedField) f, x, rows, a, b - a, 1, SolveListener.NONE);
                else step(f, xs, buf, ks, rows, n, a, b - a);
                if (listener != SolveListener.NONE) listener.onProgress((i + 1.0) / steps, (long) stages * (i + 1));
            }
            return new SolveStats(stages * steps, steps, 0);
        }
        double h = ((double) t1 - t0) / steps;
        prepare((float) h);
        if (chunked) {
            chunks.run((ChunkedField) f, x, rows, t0, h, steps, listener);
        } else {
            buffers(n);
            MemorySegment xs = x.asSlice(0, 4 * n);
            for (int i = 0; i < steps; i++) {
                // t_i = t0 + i·h, not a running sum, so rounding does not accumulate.
                step(f, xs, buf, ks, rows, n, t0 + i * h, h);
                if (listener != SolveListener.NONE) listener.onProgress((i + 1.0) / steps, (long) stages * (i + 1));
            }
        }
        return new SolveStats(stages * steps, steps, 0);
    }

    /**
     * Rows per chunk: at most the field's capacity, as many chunks as a multiple of the threads,
     * of equal size (300 rows over 2 threads: 150 + 150, not 256 + 44), none under
     * {@link #MIN_CHUNK_ROWS} rows.
     */
    static int chunkRows(int rows, int capacity, int slots) {
        int count = (rows + capacity - 1) / capacity;
        count = (count + slots - 1) / slots * slots;
        count = Math.max(1, Math.min(count, rows / MIN_CHUNK_ROWS));
        return Math.min(capacity, (rows + count - 1) / count);
    }

    /** Precomputes the stage coefficients for step size h. */
    abstract void prepare(float h);

    /**
     * One step from t to t + h, in place on x[rows × dim] (n floats), with stage buffers
     * {@code buf} (at least n floats each) and {@code ks} (4 slots) as scratch.
     */
    abstract void step(VelocityField f, MemorySegment x, MemorySegment[] buf, MemorySegment[] ks, int rows, long n,
                       double t, double h);

    @Override
    public void close() {
        super.close();
        chunks.free();
    }

    /** The chunked solve: per-slot buffers, and the pool body that hands out chunks. */
    private final class Chunks implements Pool.RangeBody {
        private final AtomicInteger next = new AtomicInteger();
        private Arena arena;
        private MemorySegment[] xs = new MemorySegment[0];
        private MemorySegment[][] bufs = new MemorySegment[0][];
        private MemorySegment[][] scratch = new MemorySegment[0][];
        private long capacity = -1;
        // the current solve
        private ChunkedField field;
        private MemorySegment x;
        private int rows, chunkRows, count, dim, stepCount;
        private double t0, h;
        private SolveListener listener;
        private long rowSteps; // done, under the lock of this object

        /** {@code stepCount} equal steps of h from t0. */
        void run(ChunkedField f, MemorySegment x, int rows, double t0, double h, int stepCount, SolveListener listener) {
            Pool pool = f.pool();
            int slots = pool.threads(), cr = chunkRows(rows, f.chunkRows(), slots);
            ensure(slots, (long) cr * f.dim());
            this.field = f;
            this.x = x;
            this.rows = rows;
            this.chunkRows = cr;
            this.count = (rows + cr - 1) / cr;
            this.dim = f.dim();
            this.t0 = t0;
            this.h = h;
            this.listener = listener;
            this.rowSteps = 0;
            this.stepCount = stepCount;
            next.set(0);
            f.prepareSlots();
            try {
                pool.parallelFor(Math.min(slots, count), 1, this);
            } finally {
                this.field = null;
                this.x = null;
                this.listener = null;
            }
        }

        /** Slot {@code from} (one per thread) integrates chunks until none is left. */
        @Override
        public void range(int from, int to) {
            for (int s = from; s < to; s++) {
                VelocityField f = field.slot(s);
                MemorySegment xc = xs[s];
                MemorySegment[] b = bufs[s], k = scratch[s];
                for (int c; (c = next.getAndIncrement()) < count; ) {
                    int r0 = c * chunkRows, nr = Math.min(chunkRows, rows - r0);
                    long off = 4L * r0 * dim, len = 4L * nr * dim, n = (long) nr * dim;
                    MemorySegment.copy(x, off, xc, 0, len);
                    for (int i = 0; i < stepCount; i++) {
                        step(f, xc, b, k, nr, n, t0 + i * h, h);
                        if (listener != SolveListener.NONE) heard(nr);
                    }
                    MemorySegment.copy(xc, 0, x, off, len);
                }
            }
        }

        /** {@code rows} more row-steps are done: tell the listener, one thread at a time. */
        private synchronized void heard(int rows) {
            rowSteps += rows;
            double done = (double) rowSteps / ((double) this.rows * stepCount);
            listener.onProgress(done, (long) (done * stages * stepCount));
        }

        private void ensure(int slots, long floats) {
            if (slots <= xs.length && floats <= capacity) return;
            free();
            arena = Arena.ofShared();
            xs = new MemorySegment[slots];
            bufs = new MemorySegment[slots][bufferCount];
            scratch = new MemorySegment[slots][4];
            for (int s = 0; s < slots; s++) {
                xs[s] = arena.allocate(4 * floats, 64);
                for (int i = 0; i < bufferCount; i++) bufs[s][i] = arena.allocate(4 * floats, 64);
            }
            capacity = floats;
        }

        void free() {
            if (arena != null) arena.close();
            arena = null;
            xs = new MemorySegment[0];
            bufs = new MemorySegment[0][];
            scratch = new MemorySegment[0][];
            capacity = -1;
        }
    }
}
