package dev.panflow.nn;

import dev.panflow.ode.VjpField;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;

/** An {@link Mlp} as a {@link FlowModel} (unconditional; labels are ignored). */
public final class MlpModel implements FewStepModel {
    public final Mlp mlp;
    private final Workspace ws;
    private Mlp.Activations acts;

    /** {@code ws} holds the training buffers {@link #reserve} makes; null for a model that only samples (through {@link #field}). */
    public MlpModel(Mlp mlp, Workspace ws) {
        this.mlp = mlp;
        this.ws = ws;
    }

    @Override public String kind() { return "mlp"; }
    @Override public int dim() { return mlp.dim(); }
    @Override public ParamStore params() { return mlp.params(); }
    @Override public void init(Rng rng) { mlp.init(rng); }

    @Override
    public void reserve(int rows) {
        if (ws == null) throw new IllegalStateException("this MlpModel was made for sampling only (no workspace for training buffers)");
        if (acts == null || acts.capacity() < rows) acts = mlp.activations(ws, rows, true);
    }

    @Override
    public MemorySegment forward(MemorySegment x, MemorySegment t, int[] labels, int rows) {
        return mlp.forward(acts, x, t, rows);
    }

    @Override
    public MemorySegment forward(MemorySegment x, float t, int[] labels, int rows) {
        return mlp.forward(acts, x, t, rows);
    }

    /** u(x, t, h) for rows with their own t[rows] and h[rows] (a model with two time inputs). */
    public MemorySegment forward(MemorySegment x, MemorySegment t, MemorySegment h, int rows) {
        return mlp.forward(acts, x, t, h, rows);
    }

    @Override
    public MemorySegment forward(MemorySegment x, MemorySegment t, MemorySegment h, int[] labels, int rows) {
        return mlp.forward(acts, x, t, h, rows);
    }

    /** Forward mode through the last forward pass: see {@link Mlp#jvp}. */
    @Override
    public void jvp(MemorySegment dx, float dt, float dh, MemorySegment out, int rows) {
        mlp.jvp(acts, dx, dt, dh, out, rows);
    }

    @Override
    public void backward(MemorySegment dOut, MemorySegment dx, int rows) {
        mlp.backward(acts, dOut, dx, rows);
    }

    /**
     * About 64 K activations per chunk (256 KB), so a layer's output is still in L2 when the
     * bias+SiLU pass and the next GEMM read it (at H = 128, one thread: ~5 % less CPU time than
     * 4096-row chunks). Rows are independent, so samples do not depend on the chunk size.
     */
    @Override
    public int chunkRows() { return chunkRows(mlp.config.hidden()); }

    /** {@link #chunkRows()} for hidden width H: in [64, 4096]. */
    public static int chunkRows(int hidden) {
        return Math.max(64, Math.min(4096, (1 << 16) / Math.max(1, hidden)));
    }

    /** The MLP's own evaluator: chunks of rows shared out over its pool, each thread with its own activations. */
    @Override
    public VjpField field(Workspace ws, int chunkRows, int[] labels, float guidance) {
        if (labels != null || guidance != 0) throw new dev.panflow.UserError("an MLP model takes no class labels or guidance");
        return new MlpVelocityField(mlp, ws, chunkRows);
    }
}
