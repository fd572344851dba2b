package dev.panflow.nn;

import dev.panflow.kernels.Pool;
import dev.panflow.ode.ChunkedField;
import dev.panflow.ode.VelocityField;
import dev.panflow.ode.VjpField;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;

/**
 * An {@link Mlp} seen by the ODE solvers: v_t(x) for a batch at one time t. Batches larger
 * than the activation capacity are evaluated in chunks of rows, the chunks shared out over the
 * MLP's pool, each thread running whole chunks through the network with activations of its own
 * ({@link ChunkedField}: fixed-step solvers hand out chunks for the whole time span). After an
 * eval of at most {@link #maxRows()} rows, {@link #vjp} backpropagates through that pass.
 */
public final class MlpVelocityField implements VjpField, ChunkedField {
    private final Mlp mlp;
    private final Mlp.Activations acts;
    private final int dim;
    private final Pool pool;
    private final Slot[] slots;
    private final EvalChunks evalChunks = new EvalChunks();
    private int lastRows = -1;
    /** Slots run on weights packed by {@link #prepareSlots} (set before every chunked solve or eval). */
    private boolean slotsPacked;

    public MlpVelocityField(Mlp mlp, Workspace ws, int chunkRows) {
        this.mlp = mlp;
        this.acts = mlp.activations(ws, chunkRows);
        this.dim = mlp.dim();
        this.pool = mlp.pool();
        int threads = pool == null ? 1 : pool.threads();
        this.slots = new Slot[threads];
        for (int s = 0; s < threads; s++) slots[s] = new Slot(s == 0 ? acts : mlp.activations(ws, chunkRows));
    }

    @Override
    public int chunkRows() { return acts.capacity(); }

    @Override
    public Pool pool() { return pool; }

    @Override
    public VelocityField slot(int s) { return slots[s]; }

    /** Packs the weights once for all slots and steps of a solve (they do not change during one). */
    @Override
    public void prepareSlots() {
        mlp.prepackWeights();
        slotsPacked = true;
    }

    /** One thread's evaluator: the MLP on the calling thread with its own activations. */
    private final class Slot implements VelocityField {
        final Mlp.Activations a;

        Slot(Mlp.Activations a) { this.a = a; }

        @Override
        public int dim() { return dim; }

        @Override
        public void eval(float t, MemorySegment x, MemorySegment out, int rows) {
            evalRows(t, x, 0, out, rows);
        }

        @Override
        public void evalPerRow(MemorySegment t, MemorySegment x, MemorySegment out, int rows) {
            evalRows(t, 0f, x, 0, out, rows);
        }

        /** out rows [r0, r0 + rows) = v_t(x rows [r0, r0 + rows)). */
        void evalRows(float t, MemorySegment x, int r0, MemorySegment out, int rows) {
            evalRows(null, t, x, r0, out, rows);
        }

        /** The same with row r at tRows[r] (the whole batch's times), or every row at tAll when tRows is null. */
        void evalRows(MemorySegment tRows, float tAll, MemorySegment x, int r0, MemorySegment out, int rows) {
            MemorySegment tr = tRows == null ? null : tRows.asSlice(4L * r0, 4L * rows);
            MemorySegment v = mlp.forwardSerial(a, x, r0, tr, tAll, rows, slotsPacked);
            MemorySegment.copy(v, 0, out, 4L * r0 * dim, 4L * rows * dim);
        }
    }

    /** Pool body of a many-chunk eval: each thread takes the next chunk until none is left. */
    private final class EvalChunks implements Pool.RangeBody {
        final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        float t;
        MemorySegment tRows; // per-row times, or null: every row at t
        MemorySegment x, out;
        int rows;

        @Override
        public void range(int from, int to) {
            int cap = acts.capacity(), count = (rows + cap - 1) / cap;
            for (int s = from; s < to; s++)
                for (int c; (c = next.getAndIncrement()) < count; ) {
                    int r0 = c * cap;
                    slots[s].evalRows(tRows, t, x, r0, out, Math.min(cap, rows - r0));
                }
        }
    }

    @Override
    public int dim() { return dim; }

    @Override
    public int maxRows() { return acts.capacity(); }

    @Override
    public void eval(float t, MemorySegment x, MemorySegment out, int rows) {
        eval(null, t, x, out, rows);
    }

    /** Row r at its own time t[r] (the MLP's time input per row): the same chunks and threads as {@link #eval}. */
    @Override
    public void evalPerRow(MemorySegment t, MemorySegment x, MemorySegment out, int rows) {
        if (t.byteSize() < 4L * rows) throw new IllegalArgumentException("t holds " + t.byteSize() / 4 + " times, need " + rows);
        eval(t, 0f, x, out, rows);
    }

    private void eval(MemorySegment tRows, float t, MemorySegment x, MemorySegment out, int rows) {
        int cap = acts.capacity();
        if (rows > cap && pool != null) {
            EvalChunks e = evalChunks;
            e.tRows = tRows;
            e.t = t;
            e.x = x;
            e.out = out;
            e.rows = rows;
            e.next.set(0);
            prepareSlots();
            pool.parallelFor(Math.min(pool.threads(), (rows + cap - 1) / cap), 1, e);
            e.x = e.out = e.tRows = null;
            lastRows = -1;
            return;
        }
        for (int r0 = 0; r0 < rows; r0 += cap) {
            int n = Math.min(cap, rows - r0);
            long off = 4L * r0 * dim, len = 4L * n * dim;
            MemorySegment v = tRows == null ? mlp.forward(acts, x, r0, t, n)
                    : mlp.forward(acts, x.asSlice(off, len), tRows.asSlice(4L * r0, 4L * n), n);
            MemorySegment.copy(v, 0, out, off, len);
        }
        lastRows = rows <= cap ? rows : -1;
    }

    @Override
    public void vjp(MemorySegment u, MemorySegment g, int rows) {
        if (rows != lastRows)
            throw new IllegalStateException("vjp of " + rows + " rows needs a preceding eval of the same rows (≤ " + maxRows() + ")");
        mlp.inputVjp(acts, u, g, rows);
    }
}
