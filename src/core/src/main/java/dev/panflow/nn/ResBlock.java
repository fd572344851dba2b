package dev.panflow.nn;

import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.Elementwise;
import dev.panflow.kernels.ParallelKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;

/**
 * Residual block with time-embedding injection (as in DDPM's U-Net), at a fixed resolution:
 * <pre>
 *   h1  = conv1(SiLU(GN1(x))) + Linear(e)[n, c]      (per-channel add of the embedding)
 *   out = conv2(SiLU(GN2(h1))) + skip(x)              (skip: identity, or a 1×1 conv when in ≠ out)
 * </pre>
 * conv2 starts at zero, so a fresh block is the identity (plus the skip map). Buffers are made
 * by {@link #reserve} and reused; {@link #backward} adds dL/de into the caller's dE. With
 * {@link #enableDropout}, a training pass drops SiLU(GN2(h1)) before conv2 (DDPM's place);
 * {@link #backward} and {@link #jvp} then use that pass's mask.
 */
public final class ResBlock {
    public final int in, out, hw, tdim;
    private final GroupNorm gn1, gn2;
    private final Conv2d conv1, conv2, skip;
    private final Linear temb;
    /** The SiLU's derivative over the block's activations (jvp), split over the pool. */
    private final ParallelKernels act;
    private Dropout dropout;   // null: none
    private boolean dropped;   // the last forward pass applied dropout's mask (kept for backward and jvp)
    private int cap;
    private Tensor a1, s1, h1, a2, s2, outT, tproj, gA, gB, dtproj, deTmp;
    // The SiLUs' gates σ(a1), σ(a2): training passes keep them so that backward and jvp need no exp.
    private Tensor gate1, gate2;
    private MemorySegment kept1, kept2;   // the gates the last forward pass kept (null: an inference pass kept none)

    public ResBlock(ParamStore store, ConvKernels conv, Pool pool, String name, int in, int out, int h, int w, int tdim, int groups) {
        this.in = in;
        this.out = out;
        this.hw = h * w;
        this.tdim = tdim;
        gn1 = new GroupNorm(store, pool, name + ".norm1", in, Math.min(groups, in), hw);
        conv1 = new Conv2d(store, conv, name + ".conv1", in, out, 3, 1, 1, h, w);
        temb = new Linear(store, pool, name + ".temb", tdim, out);
        gn2 = new GroupNorm(store, pool, name + ".norm2", out, Math.min(groups, out), hw);
        conv2 = new Conv2d(store, conv, name + ".conv2", out, out, 3, 1, 1, h, w);
        skip = in == out ? null : new Conv2d(store, conv, name + ".skip", in, out, 1, 1, 0, h, w);
        act = new ParallelKernels(pool);
    }

    public void init(Rng rng) {
        gn1.init();
        conv1.init(rng);
        temb.init(rng);
        gn2.init();
        conv2.init(rng);
        conv2.zero();
        if (skip != null) skip.init(rng);
    }

    /** Dropout with probability p in training passes, its masks keyed by (seed, step, layer, row); before {@link #reserve}. */
    public void enableDropout(float p, long seed, int layer, Pool pool) {
        if (cap > 0) throw new IllegalStateException("enableDropout before reserve");
        dropout = p == 0 ? null : new Dropout(p, seed, layer, out * hw, pool);
    }

    public void reserve(Workspace ws, int n) {
        if (n <= cap) return;
        cap = n;
        if (dropout != null) dropout.reserve(ws, n);
        int mx = Math.max(in, out);
        a1 = ws.tensor(n, in, hw);
        s1 = ws.tensor(n, in, hw);
        h1 = ws.tensor(n, out, hw);
        a2 = ws.tensor(n, out, hw);
        s2 = ws.tensor(n, out, hw);
        gate1 = ws.tensor(n, in, hw);
        gate2 = ws.tensor(n, out, hw);
        outT = ws.tensor(n, out, hw);
        tproj = ws.tensor(n, out);
        gA = ws.tensor(n, mx, hw);
        gB = ws.tensor(n, mx, hw);
        dtproj = ws.tensor(n, out);
        deTmp = ws.tensor(n, tdim);
    }

    /** The output of the last forward pass [n × out × hw]. */
    public MemorySegment output() { return outT.segment(); }

    /** x [n × in × hw], e [n × tdim] (the time/class embedding after its SiLU); no dropout (inference). */
    public MemorySegment forward(MemorySegment x, MemorySegment e, int n) { return forward(x, e, n, false, 0, 0); }

    /**
     * A training pass: as {@link #forward(MemorySegment, MemorySegment, int)}, with dropout (when
     * enabled) masked for images firstRow … firstRow + n − 1 of the global batch at optimizer step {@code step}.
     */
    public MemorySegment forwardTraining(MemorySegment x, MemorySegment e, int n, long step, long firstRow) {
        return forward(x, e, n, true, step, firstRow);
    }

    private MemorySegment forward(MemorySegment x, MemorySegment e, int n, boolean training, long step, long firstRow) {
        if (n > cap) throw new IllegalArgumentException(n + " images > reserved " + cap);
        long nIn = (long) n * in * hw, nOut = (long) n * out * hw;
        kept1 = training ? gate1.segment() : null;
        kept2 = training ? gate2.segment() : null;
        gn1.forwardSilu(x, a1.segment(), kept1, s1.segment(), n);
        conv1.forward(s1.segment(), h1.segment(), n);
        temb.forward(e, tproj.segment(), n);
        MemorySegment h = h1.segment();
        Elementwise.addPlanes(h, tproj.segment(), n * out, hw);
        gn2.forwardSilu(h, a2.segment(), kept2, s2.segment(), n);
        dropped = training && dropout != null;
        if (dropped) dropout.draw(s2.segment(), n, step, firstRow); // s2 ← s2·m: conv2's input, for its backward too
        conv2.forward(s2.segment(), outT.segment(), n);
        if (skip == null) {
            Elementwise.add(outT.segment(), x, outT.segment(), nOut);
        } else {
            skip.forward(x, gA.segment(), n);
            Elementwise.add(outT.segment(), gA.segment(), outT.segment(), nOut);
        }
        return outT.segment();
    }

    /**
     * Forward mode through the last forward pass (inputs x, e): the output's tangent for input
     * tangents ẋ [n × in × hw] and ė [n × tdim], into {@code dOut} (it must not alias them).
     * ḣ1 = conv1(silu'(a1)·GN1'(ẋ)) + Linear(ė); ȯ = conv2(m·silu'(a2)·GN2'(ḣ1)) + skip(ẋ), m the
     * pass's dropout mask (1 without dropout).
     */
    public void jvp(MemorySegment x, MemorySegment dx, MemorySegment de, MemorySegment dOut, int n) {
        long nIn = (long) n * in * hw, nOut = (long) n * out * hw;
        MemorySegment ga = gA.segment(), gb = gB.segment(), dtp = dtproj.segment();
        gn1.jvp(x, dx, ga, n);
        act.siluBackwardWithGate(a1.segment(), kept1, ga, gb, nIn);
        conv1.jvp(gb, ga, n);
        temb.jvp(de, dtp, n);
        Elementwise.addPlanes(ga, dtp, n * out, hw);
        gn2.jvp(h1.segment(), ga, gb, n);
        act.siluBackwardWithGate(a2.segment(), kept2, gb, gb, nOut);
        if (dropped) dropout.apply(gb, n);
        conv2.jvp(gb, dOut, n);
        if (skip == null) {
            Elementwise.add(dOut, dx, dOut, nOut);
        } else {
            skip.jvp(dx, ga, n);
            Elementwise.add(dOut, ga, dOut, nOut);
        }
    }

    /** Given the forward input x, e and dL/dout: overwrites this block's gradients, writes dx, adds into dE. */
    public void backward(MemorySegment x, MemorySegment e, MemorySegment dOut, MemorySegment dx, MemorySegment dE, int n) {
        long nIn = (long) n * in * hw;
        MemorySegment ga = gA.segment(), gb = gB.segment();
        conv2.backward(s2.segment(), dOut, ga, n);
        if (dropped) dropout.apply(ga, n); // d/d(silu out) = m · d/d(conv2 in)
        gn2.backwardSilu(h1.segment(), a2.segment(), kept2, ga, gb, n);   // ga ← dL/da2
        MemorySegment dtp = dtproj.segment();
        Elementwise.sumPlanes(gb, dtp, n * out, hw);
        temb.backward(e, dtp, deTmp.segment(), n);
        Elementwise.add(dE, deTmp.segment(), dE, (long) n * tdim);
        conv1.backward(s1.segment(), gb, ga, n);
        gn1.backwardSilu(x, a1.segment(), kept1, ga, dx, n);
        if (skip == null) {
            Elementwise.add(dx, dOut, dx, nIn);
        } else {
            skip.backward(x, dOut, gb, n);
            Elementwise.add(dx, gb, dx, nIn);
        }
    }
}
