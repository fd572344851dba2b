package dev.panflow.train;

import dev.panflow.kernels.Elementwise;
import dev.panflow.nn.FewStepModel;
import dev.panflow.nn.Mlp;
import dev.panflow.nn.MlpModel;
import dev.panflow.path.AffinePath;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The shortcut-model loss (Frans et al. 2024): the network s(x, t, d) jumps x_{t+d} ≈ x_t + d·s.
 * A quarter of the batch (the paper's split, k = 1/4) gets self-consistency targets
 * s(x_t, t, 2d) = ½(s(x_t, t, d) + s(x′, t + d, d)) with x′ = x_t + d·s(x_t, t, d), the two
 * small steps taken with the current weights and held constant (stop-gradient); the rest is
 * flow matching at d = 0 with t ~ U[0, 1). Self-consistency step sizes: 2d = 2^−j, j uniform in
 * {0, …, 6} (M = 128 steps, so d ∈ {1/2, …, 1/128}), and t uniform on the grid of multiples of
 * 2d below 1, so t + 2d ≤ 1.
 *
 * <p>Works for any {@link FewStepModel}: the MLP takes its target passes serially into activations
 * of their own; the U-Net runs them through its one forward pass (overwritten by the training
 * pass that follows them, which the backward pass then uses), with the rows' class labels.
 */
final class ShortcutLoss {
    static final int LOG2_MAX_STEPS = 7;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private final FewStepModel model;
    private final AffinePath path;
    private final int dim;
    private final Tensor t, d, half, tNext, xt, target, s1, xNext;
    private final TargetPass targetPass;   // inference only, before the training pass

    /** u(x, t, h) for the first {@code rows} rows, kept at least until the next pass. */
    @FunctionalInterface
    private interface TargetPass {
        MemorySegment run(MemorySegment x, MemorySegment t, MemorySegment h, int[] labels, int rows);
    }

    ShortcutLoss(FewStepModel model, AffinePath path, int batch, Workspace ws) {
        this.model = model;
        this.path = path;
        this.dim = model.dim();
        t = ws.tensor(batch);
        d = ws.tensor(batch);
        half = ws.tensor(batch);
        tNext = ws.tensor(batch);
        xt = ws.tensor(batch, dim);
        target = ws.tensor(batch, dim);
        s1 = ws.tensor(batch, dim);
        xNext = ws.tensor(batch, dim);
        if (model instanceof MlpModel m) {
            // the sampler's serial forward pass, into activations of its own (the MLP's zero-allocation step)
            Mlp.Activations acts = m.mlp.activations(ws, Math.max(1, consistencyRows(batch)));
            targetPass = (x, tt, hh, labels, n) -> m.mlp.forwardSerial(acts, x, 0, tt, 0f, hh, 0f, n, false);
        } else {
            targetPass = model::forward;
        }
    }

    /** Rows of a batch of {@code rows} that get self-consistency targets (the first ones). */
    static int consistencyRows(int rows) { return rows / 4; }

    /**
     * As {@link MeanFlowLoss#lossAndGrad}: labels per row for a class-conditional model, else null;
     * only the last pass (the one backpropagated) is step {@code step}'s training pass, the target passes run without dropout.
     */
    double lossAndGrad(Rng rng, MemorySegment x0, MemorySegment x1, int[] labels, MemorySegment grad, int rows, float gradScale, long step) {
        int k = consistencyRows(rows);
        MemorySegment ts = t.segment(), ds = d.segment(), hs = half.segment();
        for (int r = 0; r < rows; r++) {
            if (r < k) {
                int sections = 1 << rng.nextInt(LOG2_MAX_STEPS);   // 2d = 1/sections
                float big = 1f / sections, t0 = rng.nextInt(sections) * big;
                ts.setAtIndex(F32, r, t0);
                ds.setAtIndex(F32, r, big);
                hs.setAtIndex(F32, r, big / 2);
                tNext.segment().setAtIndex(F32, r, t0 + big / 2);
            } else {
                ts.setAtIndex(F32, r, rng.nextFloat());
                ds.setAtIndex(F32, r, 0f);
            }
        }
        // x_t for every row; the flow-matching target σ'_t x0 + α'_t x1 (rows ≥ k keep it)
        path.sample(x0, x1, ts, xt.segment(), target.segment(), rows, dim);
        if (k > 0) {
            long kn = (long) k * dim;
            MemorySegment a = targetPass.run(xt.segment(), ts, hs, labels, k);   // s(x_t, t, d)
            MemorySegment.copy(a, 0, s1.segment(), 0, 4 * kn);
            Elementwise.addScaledRows(xt.segment(), s1.segment(), hs, xNext.segment(), k, dim); // x′ = x_t + d·s
            MemorySegment b = targetPass.run(xNext.segment(), tNext.segment(), hs, labels, k); // s(x′, t + d, d)
            MemorySegment s1s = s1.segment(), tg = target.segment();
            // ½(s1 + s2) in one scalar pass: k·dim floats (the vector add then scale boxed their vectors here, 6 KB a step)
            for (long i = 0; i < kn; i++) tg.setAtIndex(F32, i, 0.5f * (s1s.getAtIndex(F32, i) + b.getAtIndex(F32, i)));
        }
        model.trainingPass(step, 0);
        MemorySegment u = model.forward(xt.segment(), ts, ds, labels, rows);
        return Elementwise.squaredErrorGrad(u, target.segment(), grad, (long) rows * dim, gradScale);
    }
}
