package dev.panflow.nn;

import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.ParallelKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;

/**
 * A small CNN classifier whose hidden layer serves as the feature map of FID:
 * conv3×3(c1) → SiLU → conv3×3/2(c2) → SiLU → conv3×3/2(c3) → SiLU → flatten → dense(hidden) →
 * SiLU = features → dense(classes) = logits. Buffers for up to {@code maxRows} images are made once
 * from a workspace, so training steps allocate nothing.
 */
public final class ConvClassifier {
    public final ConvClassifierConfig config;
    public final ParamStore params = new ParamStore();
    private final Conv2d conv1, conv2, conv3;
    private final Linear fc1, fc2;
    private final ParallelKernels ops;
    private final int maxRows;
    private final long n1, n2, n3; // activation sizes per image
    private final Tensor p1, a1, p2, a2, p3, a3, pf, feat, logits;
    private final Tensor d1, d2, d3, df, dLogits;

    public ConvClassifier(ConvClassifierConfig cfg, ConvKernels conv, Pool pool, Workspace ws, int maxRows) {
        this.config = cfg;
        this.maxRows = maxRows;
        this.ops = new ParallelKernels(pool);
        int h = cfg.height(), w = cfg.width();
        conv1 = new Conv2d(params, conv, "conv1", cfg.imageChannels(), cfg.c1(), 3, 1, 1, h, w);
        conv2 = new Conv2d(params, conv, "conv2", cfg.c1(), cfg.c2(), 3, 2, 1, h, w);
        conv3 = new Conv2d(params, conv, "conv3", cfg.c2(), cfg.c3(), 3, 2, 1, conv2.outH(), conv2.outW());
        fc1 = new Linear(params, pool, "fc1", cfg.flat(), cfg.hidden());
        fc2 = new Linear(params, pool, "fc2", cfg.hidden(), cfg.classes());
        params.allocate(ws.arena());
        n1 = (long) cfg.c1() * h * w;
        n2 = (long) cfg.c2() * conv2.outH() * conv2.outW();
        n3 = (long) cfg.c3() * conv3.outH() * conv3.outW();
        if (n3 != cfg.flat()) throw new IllegalStateException("flatten size " + n3 + " != " + cfg.flat());
        p1 = buf(ws, n1); a1 = buf(ws, n1); p2 = buf(ws, n2); a2 = buf(ws, n2); p3 = buf(ws, n3); a3 = buf(ws, n3);
        pf = buf(ws, cfg.hidden()); feat = buf(ws, cfg.hidden()); logits = buf(ws, cfg.classes());
        d1 = buf(ws, n1); d2 = buf(ws, n2); d3 = buf(ws, n3); df = buf(ws, cfg.hidden()); dLogits = buf(ws, cfg.classes());
    }

    private Tensor buf(Workspace ws, long perRow) { return ws.tensor(maxRows, (int) perRow); }

    public int maxRows() { return maxRows; }

    /** PyTorch's default initialisation for every layer. */
    public void init(Rng rng) {
        conv1.init(rng);
        conv2.init(rng);
        conv3.init(rng);
        fc1.init(rng);
        fc2.init(rng);
    }

    /** Forward pass of {@code rows} ≤ maxRows images x [rows × C·H·W]; features and logits stay in the buffers. */
    public void forward(MemorySegment x, int rows) {
        if (rows > maxRows) throw new IllegalArgumentException(rows + " rows, buffers for " + maxRows);
        conv1.forward(x, p1.segment(), rows);
        Silu.forward(p1.segment(), a1.segment(), rows * n1);
        conv2.forward(a1.segment(), p2.segment(), rows);
        Silu.forward(p2.segment(), a2.segment(), rows * n2);
        conv3.forward(a2.segment(), p3.segment(), rows);
        Silu.forward(p3.segment(), a3.segment(), rows * n3);
        fc1.forward(a3.segment(), pf.segment(), rows);
        Silu.forward(pf.segment(), feat.segment(), (long) rows * config.hidden());
        fc2.forward(feat.segment(), logits.segment(), rows);
    }

    /** After {@link #forward}: the mean cross-entropy against {@code labels}, its gradients written into {@link #params}. */
    public double backward(MemorySegment x, int[] labels, int rows) {
        double loss = SoftmaxCrossEntropy.forwardBackward(logits.segment(), labels, dLogits.segment(), rows, config.classes());
        fc2.backward(feat.segment(), dLogits.segment(), df.segment(), rows);
        ops.siluBackward(pf.segment(), df.segment(), df.segment(), (long) rows * config.hidden());
        fc1.backward(a3.segment(), df.segment(), d3.segment(), rows);
        ops.siluBackward(p3.segment(), d3.segment(), d3.segment(), rows * n3);
        conv3.backward(a2.segment(), d3.segment(), d2.segment(), rows);
        ops.siluBackward(p2.segment(), d2.segment(), d2.segment(), rows * n2);
        conv2.backward(a1.segment(), d2.segment(), d1.segment(), rows);
        ops.siluBackward(p1.segment(), d1.segment(), d1.segment(), rows * n1);
        conv1.backward(x, d1.segment(), null, rows);
        return loss;
    }

    /** The features of the last forward pass: [maxRows × hidden], rows 0 … rows − 1 valid. */
    public MemorySegment features() { return feat.segment(); }

    /** The logits of the last forward pass: [maxRows × classes]. */
    public MemorySegment logits() { return logits.segment(); }
}
