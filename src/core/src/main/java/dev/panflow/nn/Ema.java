package dev.panflow.nn;

import dev.panflow.kernels.ParallelKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;

/**
 * Exponential moving average of the weights: ema ← d·ema + (1 − d)·θ after each step, with
 * the warm-up d_k = min(d, (1 + k)/(10 + k)) so early averages are not stuck at the random init.
 */
public final class Ema {
    private final ParamStore store;
    private final Tensor shadow;
    private final float decay;
    private final ParallelKernels ops;

    public Ema(ParamStore store, Workspace ws, float decay) {
        this(store, ws, decay, null);
    }

    /** With a pool, the update is split over its threads (same numbers as without). */
    public Ema(ParamStore store, Workspace ws, float decay, Pool pool) {
        this.ops = new ParallelKernels(pool);
        if (!(decay >= 0 && decay < 1)) throw new IllegalArgumentException("EMA decay must be in [0, 1), got " + decay);
        this.store = store;
        this.decay = decay;
        this.shadow = ws.tensor((int) store.flatSize());
        shadow.copyFrom(store.values());
    }

    /** Update after optimizer step number {@code step} (1-based). */
    public void update(long step) {
        if (decay == 0) return;   // ema = 0·ema + 1·θ = θ: weights() copies θ when read, instead of a pass over every parameter per step
        float d = (float) Math.min(decay, (1.0 + step) / (10.0 + step));
        ops.ema(shadow.segment(), store.values().segment(), d, store.flatSize());
    }

    /** The averaged weights; with decay 0 they are the weights themselves, copied now. */
    public Tensor weights() {
        if (decay == 0) shadow.copyFrom(store.values());
        return shadow;
    }
    public float decay() { return decay; }
}
