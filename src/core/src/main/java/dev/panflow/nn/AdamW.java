package dev.panflow.nn;

import dev.panflow.kernels.ParallelKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter) over a whole {@link ParamStore}:
 * one fused kernel call per step on the flat buffers. Its moments and step count are state a
 * checkpoint must keep for a bit-exact resume.
 */
public final class AdamW {
    private final ParamStore store;
    private final Tensor m;
    private final Tensor v;
    public final float beta1, beta2, eps, weightDecay;
    private final ParallelKernels ops;
    private long step;

    public AdamW(ParamStore store, Workspace ws, float beta1, float beta2, float eps, float weightDecay) {
        this(store, ws, beta1, beta2, eps, weightDecay, null);
    }

    /** With a pool, large updates are split over its threads (same numbers as without). */
    public AdamW(ParamStore store, Workspace ws, float beta1, float beta2, float eps, float weightDecay, Pool pool) {
        this.ops = new ParallelKernels(pool);
        this.store = store;
        this.m = ws.tensor((int) store.flatSize());
        this.v = ws.tensor((int) store.flatSize());
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** One update with learning rate {@code lr} from the gradients now in the store. */
    public void step(float lr) {
        step++;
        ops.adam(store.values().segment(), store.grads().segment(), m.segment(), v.segment(),
                store.flatSize(), lr, beta1, beta2, eps, weightDecay, step);
    }

    public long steps() { return step; }
    public void setSteps(long s) { step = s; }
    public Tensor firstMoment() { return m; }
    public Tensor secondMoment() { return v; }
}
