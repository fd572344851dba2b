package dev.panflow.nn;

import dev.panflow.ode.VjpField;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;

/**
 * An {@link Mlp} seen by the ODE solvers: v_t(x) for a batch at one time t. Batches larger
 * than the activation capacity are evaluated in chunks of rows. After an eval of at most
 * {@link #maxRows()} rows, {@link #vjp} backpropagates through that pass.
 */
public final class MlpVelocityField implements VjpField {
    private final Mlp mlp;
    private final Mlp.Activations acts;
    private final int dim;
    private int lastRows = -1;

    public MlpVelocityField(Mlp mlp, Workspace ws, int chunkRows) {
        this.mlp = mlp;
        this.acts = mlp.activations(ws, chunkRows);
        this.dim = mlp.dim();
    }

    @Override
    public int dim() { return dim; }

    @Override
    public int maxRows() { return acts.capacity(); }

    @Override
    public void eval(float t, MemorySegment x, MemorySegment out, int rows) {
        int cap = acts.capacity();
        for (int r0 = 0; r0 < rows; r0 += cap) {
            int n = Math.min(cap, rows - r0);
            long off = 4L * r0 * dim, len = 4L * n * dim;
            MemorySegment v = mlp.forward(acts, x, r0, t, n);
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
