package dev.panflow.nn;

import dev.panflow.kernels.Elementwise;
import dev.panflow.ode.VjpField;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;

/**
 * A {@link FlowModel} seen by the ODE solvers, evaluated in chunks of rows. For a conditional
 * model each row has a class label (none given: the null class ∅, i.e. the unconditional field
 * that label dropout trains); with guidance weight w > 0 it is classifier-free guidance
 * (Ho and Salimans 2022): v = (1 + w)·v(x, t, class) − w·v(x, t, ∅). After an eval of at most
 * {@link #maxRows()} rows without guidance, {@link #vjp} backpropagates through that pass (for
 * log-likelihoods).
 */
public final class FlowModelField implements VjpField {
    private final FlowModel model;
    private final int dim, chunk;
    private final int[] labels;      // per row of the whole batch, or null
    private final int[] cond, uncond; // per row of a chunk
    private final float guidance;
    private final Tensor condOut;
    private int lastRows = -1; // rows of the last single-pass eval, for vjp

    public FlowModelField(FlowModel model, Workspace ws, int chunkRows, int[] labels, float guidance) {
        this.model = model;
        this.dim = model.dim();
        this.chunk = chunkRows;
        this.labels = labels;
        this.guidance = guidance;
        model.reserve(chunkRows);
        boolean conditional = model.classes() > 0;
        uncond = conditional ? new int[chunkRows] : null;
        if (uncond != null) java.util.Arrays.fill(uncond, model.classes());
        cond = labels == null ? uncond : new int[chunkRows]; // no labels: every row the null class
        condOut = guidance != 0 && labels != null ? ws.tensor(chunkRows, dim) : null;
    }

    @Override
    public int maxRows() { return chunk; }

    @Override
    public void vjp(MemorySegment u, MemorySegment g, int rows) {
        if (rows != lastRows)
            throw new IllegalStateException("vjp of " + rows + " rows needs a preceding unguided eval of the same rows (≤ " + chunk + ")");
        model.backward(u, g, rows); // parameter gradients are written too, and ignored
    }

    @Override
    public int dim() { return dim; }

    @Override
    public void eval(float t, MemorySegment x, MemorySegment out, int rows) {
        eval(null, t, x, out, rows);
    }

    /** Row r at its own time t[r]: {@link FlowModel#forward(MemorySegment, MemorySegment, int[], int)} per chunk. */
    @Override
    public void evalPerRow(MemorySegment t, MemorySegment x, MemorySegment out, int rows) {
        if (t.byteSize() < 4L * rows) throw new IllegalArgumentException("t holds " + t.byteSize() / 4 + " times, need " + rows);
        eval(t, 0f, x, out, rows);
    }

    private void eval(MemorySegment tRows, float t, MemorySegment x, MemorySegment out, int rows) {
        lastRows = rows <= chunk && condOut == null ? rows : -1;
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int n = Math.min(chunk, rows - r0);
            long off = 4L * r0 * dim, len = 4L * n * dim;
            MemorySegment xs = x.asSlice(off, len), os = out.asSlice(off, len);
            if (labels != null) System.arraycopy(labels, r0, cond, 0, n);
            MemorySegment ts = tRows == null ? null : tRows.asSlice(4L * r0, 4L * n);
            MemorySegment v = ts == null ? model.forward(xs, t, cond, n) : model.forward(xs, ts, cond, n);
            if (condOut == null) {
                MemorySegment.copy(v, 0, os, 0, len);
                continue;
            }
            MemorySegment.copy(v, 0, condOut.segment(), 0, len);
            MemorySegment vu = ts == null ? model.forward(xs, t, uncond, n) : model.forward(xs, ts, uncond, n);
            // out = (1 + w) v_c − w v_u
            Elementwise.scale(condOut.segment(), 1 + guidance, os, (long) n * dim);
            Elementwise.axpy(-guidance, vu, os, (long) n * dim);
        }
    }
}
