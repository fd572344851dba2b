package dev.panflow.nn;

import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;

/** An {@link Mlp} as a {@link FlowModel} (unconditional; labels are ignored). */
public final class MlpModel implements FlowModel {
    public final Mlp mlp;
    private final Workspace ws;
    private Mlp.Activations acts;

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

    @Override
    public void backward(MemorySegment dOut, MemorySegment dx, int rows) {
        mlp.backward(acts, dOut, dx, rows);
    }
}
