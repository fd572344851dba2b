package dev.panflow.nn;

import dev.panflow.ode.VjpField;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Any {@link FlowModel} as a field with vector–Jacobian products (for log-likelihoods): eval is
 * one forward pass of at most {@link #maxRows()} rows, vjp one backward pass to the input. A
 * class-conditional model is evaluated with the null class, i.e. as the unconditional density
 * that label dropout trains.
 */
public final class FlowModelVjpField implements VjpField {
    private final FlowModel model;
    private final int chunk;
    private final int[] labels; // the null class per row, or null

    public FlowModelVjpField(FlowModel model, int maxRows) {
        this.model = model;
        this.chunk = maxRows;
        model.reserve(maxRows);
        if (model.classes() > 0) {
            labels = new int[maxRows];
            Arrays.fill(labels, model.classes());
        } else {
            labels = null;
        }
    }

    @Override public int dim() { return model.dim(); }
    @Override public int maxRows() { return chunk; }

    @Override
    public void eval(float t, MemorySegment x, MemorySegment out, int rows) {
        if (rows > chunk) throw new IllegalArgumentException(rows + " rows > maxRows " + chunk);
        MemorySegment v = model.forward(x, t, labels, rows);
        MemorySegment.copy(v, 0, out, 0, 4L * rows * model.dim());
    }

    @Override
    public void vjp(MemorySegment u, MemorySegment g, int rows) {
        model.backward(u, g, rows); // parameter gradients are written too, and ignored
    }
}
