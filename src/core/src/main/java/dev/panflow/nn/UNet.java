package dev.panflow.nn;

import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.Elementwise;
import dev.panflow.kernels.ParallelKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A small time-conditioned U-Net velocity field for images (NCHW rows of C·H·W floats), with
 * resolutions r_0 = H×W, r_l = r_{l−1}/2 and channels ch_l:
 * <pre>
 *   e   = SiLU(Linear(SiLU(Linear(sinusoidal(t)))) + classEmb[y])     (class row only if conditional)
 *   h   = convIn(x)
 *   down: d_l = Res_l(h); h = stride-2 conv(d_l) while l < L−1        (d_l kept as skip)
 *   mid:  h = Res(h); h = Attn(h)                                       (self-attention only with attentionHeads > 0)
 *   up:   u_l = Res'_l(h + d_l); h = nearest-2×(u_l) while l > 0
 *   v   = convOut(SiLU(GN(h)))                                         (convOut starts at zero)
 * </pre>
 * Skips are added, not concatenated. Every Res block gets e (per-channel add after its first conv).
 * With {@link #setDropout} every Res block drops activations before its second conv in training
 * passes ({@link #trainingPass}); other passes are deterministic.
 * Attn is {@link SelfAttention2d} over the lowest resolution's positions (its proj starts at zero).
 */
public final class UNet implements FewStepModel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    public final UNetConfig config;
    private final ParamStore store = new ParamStore();
    private final Workspace ws;
    private final int levels, tdim, dim;
    private final int[] ch, hs, ws_;
    private final TimeEmbedding tfeat;
    private final int featWidth;   // emb(t), and emb(h) beside it with two time inputs
    private final Linear t1, t2;
    private final Param classEmb;
    private final Conv2d convIn, convOut;
    private final Conv2d[] downConv;
    private final ResBlock[] down, up;
    private final ResBlock mid;
    private final SelfAttention2d midAttention; // null: none
    private final GroupNorm outNorm;
    /** SiLU over the output block's activations, split over the pool. */
    private final ParallelKernels act;
    private final Pool pool;

    private int cap;
    private float dropout;
    private boolean trainingNext;   // the next forward pass is a training pass (trainingPass), of this step and first row
    private long passStep, passFirstRow;
    private int[] labels; // labels of the last forward pass (null = unconditional)
    private Tensor feat, t1Out, t1Act, t2Out, e, dE, dT1, h0, outNormed, outAct, output;
    private Tensor[] downOut, sumIn, upOut, gradS, tmpA, tmpB;
    private Tensor attnGrad; // dL/d(mid's output) with attention

    public UNet(UNetConfig config, ConvKernels conv, Pool pool, Workspace ws) {
        this.config = config;
        this.ws = ws;
        this.pool = pool;
        this.levels = config.levels();
        this.ch = config.channels();
        this.tdim = config.embeddingWidth();
        this.dim = config.imageChannels() * config.height() * config.width();
        hs = new int[levels];
        ws_ = new int[levels];
        for (int l = 0; l < levels; l++) {
            hs[l] = config.height() >> l;
            ws_[l] = config.width() >> l;
        }
        int g = config.groups();
        tfeat = TimeEmbedding.sinusoidal(config.frequencies());
        this.featWidth = config.timeInputs() * tfeat.width();
        t1 = new Linear(store, pool, "net.time.0", featWidth, tdim);
        t2 = new Linear(store, pool, "net.time.1", tdim, tdim);
        classEmb = config.classes() > 0 ? store.declare("net.class_embedding", config.classes() + 1, tdim) : null;
        convIn = new Conv2d(store, conv, "net.conv_in", config.imageChannels(), ch[0], 3, 1, 1, hs[0], ws_[0]);
        down = new ResBlock[levels];
        up = new ResBlock[levels];
        downConv = new Conv2d[levels];
        for (int l = 0; l < levels; l++) {
            int cin = l == 0 ? ch[0] : ch[l - 1];
            down[l] = new ResBlock(store, conv, pool, "net.down." + l, cin, ch[l], hs[l], ws_[l], tdim, g);
            if (l < levels - 1)
                downConv[l] = new Conv2d(store, conv, "net.downsample." + l, ch[l], ch[l], 3, 2, 1, hs[l], ws_[l]);
        }
        mid = new ResBlock(store, conv, pool, "net.mid", ch[levels - 1], ch[levels - 1], hs[levels - 1], ws_[levels - 1], tdim, g);
        midAttention = config.attentionHeads() == 0 ? null : new SelfAttention2d(store, conv, pool, "net.mid_attention", ch[levels - 1],
                config.attentionHeads(), hs[levels - 1], ws_[levels - 1], g);
        for (int l = levels - 1; l >= 0; l--)
            up[l] = new ResBlock(store, conv, pool, "net.up." + l, ch[l], l == 0 ? ch[0] : ch[l - 1], hs[l], ws_[l], tdim, g);
        outNorm = new GroupNorm(store, pool, "net.norm_out", ch[0], Math.min(g, ch[0]), hs[0] * ws_[0]);
        act = new ParallelKernels(pool);
        convOut = new Conv2d(store, conv, "net.conv_out", ch[0], config.imageChannels(), 3, 1, 1, hs[0], ws_[0]);
        store.allocate(ws.arena());
    }

    @Override public String kind() { return "unet"; }
    @Override public int dim() { return dim; }
    @Override public int classes() { return config.classes(); }
    @Override public ParamStore params() { return store; }

    @Override
    public void init(Rng rng) {
        t1.init(rng);
        t2.init(rng);
        if (classEmb != null) rng.fillGaussian(classEmb.value().segment(), classEmb.size(), 1f);
        convIn.init(rng);
        for (int l = 0; l < levels; l++) {
            down[l].init(rng);
            if (downConv[l] != null) downConv[l].init(rng);
        }
        mid.init(rng);
        if (midAttention != null) midAttention.init(rng);
        for (int l = levels - 1; l >= 0; l--) up[l].init(rng);
        outNorm.init();
        convOut.init(rng);
        convOut.zero();
    }

    private int hw(int l) { return hs[l] * ws_[l]; }

    /**
     * Dropout with probability p in every Res block's training passes (0: none, the default), its
     * masks seeded by {@code seed}, the step and the row; call before {@link #reserve}.
     */
    public void setDropout(float p, long seed) {
        Dropout.check(p);
        if (cap > 0) throw new IllegalStateException("setDropout before reserve");
        this.dropout = p;
        int layer = 0; // each block's masks from streams of their own
        for (int l = 0; l < levels; l++) down[l].enableDropout(p, seed, layer++, pool);
        mid.enableDropout(p, seed, layer++, pool);
        for (int l = levels - 1; l >= 0; l--) up[l].enableDropout(p, seed, layer++, pool);
    }

    /** The dropout probability of training passes (0: none). */
    public float dropout() { return dropout; }

    @Override
    public void trainingPass(long step, long firstRow) {
        trainingNext = true;
        passStep = step;
        passFirstRow = firstRow;
    }

    private MemorySegment res(ResBlock b, MemorySegment h, MemorySegment es, int n, boolean training) {
        return training ? b.forwardTraining(h, es, n, passStep, passFirstRow) : b.forward(h, es, n);
    }

    @Override
    public void reserve(int n) {
        if (n <= cap) return;
        cap = n;
        feat = ws.tensor(n, featWidth);
        t1Out = ws.tensor(n, tdim);
        t1Act = ws.tensor(n, tdim);
        t2Out = ws.tensor(n, tdim);
        e = ws.tensor(n, tdim);
        dE = ws.tensor(n, tdim);
        dT1 = ws.tensor(n, tdim);
        h0 = ws.tensor(n, ch[0], hw(0));
        outNormed = ws.tensor(n, ch[0], hw(0));
        outAct = ws.tensor(n, ch[0], hw(0));
        outGate = ws.tensor(n, ch[0], hw(0));
        output = ws.tensor(n, dim);
        downOut = new Tensor[levels];
        sumIn = new Tensor[levels];
        upOut = new Tensor[levels];
        gradS = new Tensor[levels];
        tmpA = new Tensor[levels];
        tmpB = new Tensor[levels];
        for (int l = 0; l < levels; l++) {
            int mx = Math.max(ch[l], l == 0 ? ch[0] : ch[l - 1]);
            downOut[l] = l < levels - 1 ? ws.tensor(n, ch[l], hw(l + 1)) : null; // after the stride-2 conv
            sumIn[l] = ws.tensor(n, ch[l], hw(l));
            upOut[l] = l > 0 ? ws.tensor(n, ch[l - 1], hw(l - 1)) : null;       // after upsampling
            gradS[l] = ws.tensor(n, ch[l], hw(l));
            tmpA[l] = ws.tensor(n, mx, hw(l));
            tmpB[l] = ws.tensor(n, mx, hw(l));
            down[l].reserve(ws, n);
            up[l].reserve(ws, n);
        }
        mid.reserve(ws, n);
        if (midAttention != null) {
            midAttention.reserve(ws, n);
            attnGrad = ws.tensor(n, ch[levels - 1], hw(levels - 1));
        }
    }

    @Override
    public MemorySegment forward(MemorySegment x, MemorySegment t, int[] labels, int rows) {
        return forward(x, t, null, labels, rows);
    }

    @Override
    public MemorySegment forward(MemorySegment x, float t, int[] labels, int rows) {
        return forward(x, t, 0f, labels, rows);
    }

    /** With two time inputs: u(x, t, h), every row at t and h (h = 0 with one input: ignored). */
    public MemorySegment forward(MemorySegment x, float t, float h, int[] labels, int rows) {
        check(rows, labels);
        for (int r = 0; r < rows; r++) writeTimes(r, t, h);
        return run(x, labels, rows);
    }

    /** Rows with their own t[rows] and h[rows] (h null: 0). */
    @Override
    public MemorySegment forward(MemorySegment x, MemorySegment t, MemorySegment h, int[] labels, int rows) {
        check(rows, labels);
        for (int r = 0; r < rows; r++) writeTimes(r, t.getAtIndex(F, r), h == null ? 0f : h.getAtIndex(F, r));
        return run(x, labels, rows);
    }

    private void writeTimes(int r, float t, float h) {
        tfeat.write(t, feat.segment(), r, featWidth, 0);
        if (config.timeInputs() == 2) tfeat.write(h, feat.segment(), r, featWidth, tfeat.width());
    }

    private void check(int rows, int[] labels) {
        if (rows > cap) throw new IllegalArgumentException(rows + " rows > reserved " + cap);
        if (classEmb != null && labels == null) throw new IllegalArgumentException("a conditional U-Net needs labels");
    }

    private MemorySegment run(MemorySegment x, int[] labels, int n) {
        boolean training = trainingNext;
        trainingNext = false;
        this.labels = classEmb == null ? null : labels;
        // time (and class) embedding
        t1.forward(feat.segment(), t1Out.segment(), n);
        Silu.forward(t1Out.segment(), t1Act.segment(), (long) n * tdim);
        t2.forward(t1Act.segment(), t2Out.segment(), n);
        if (this.labels != null) Elementwise.addIndexedRows(t2Out.segment(), classEmb.value().segment(), this.labels, n, tdim);
        Silu.forward(t2Out.segment(), e.segment(), (long) n * tdim);
        MemorySegment es = e.segment();

        convIn.forward(x, h0.segment(), n);
        MemorySegment h = h0.segment();
        for (int l = 0; l < levels; l++) {
            h = res(down[l], h, es, n, training);
            if (l < levels - 1) {
                downConv[l].forward(h, downOut[l].segment(), n);
                h = downOut[l].segment();
            }
        }
        h = res(mid, h, es, n, training);
        if (midAttention != null) h = midAttention.forward(h, n);
        for (int l = levels - 1; l >= 0; l--) {
            Elementwise.add(h, down[l].output(), sumIn[l].segment(), (long) n * ch[l] * hw(l));
            h = res(up[l], sumIn[l].segment(), es, n, training);
            if (l > 0) {
                Upsample2x.forward(h, upOut[l].segment(), n * ch[l - 1], hs[l], ws_[l]);
                h = upOut[l].segment();
            }
        }
        outKept = training ? outGate.segment() : null;
        outNorm.forwardSilu(h, outNormed.segment(), outKept, outAct.segment(), n);
        convOut.forward(outAct.segment(), output.segment(), n);
        lastX = x;
        return output.segment();
    }

    private MemorySegment lastX;

    /** The input of up[0]'s successor (the final GroupNorm): up[0]'s output. */
    private MemorySegment finalIn() { return up[0].output(); }

    // The output SiLU's gate σ(outNormed), kept by training passes (see ResBlock).
    private Tensor outGate;
    private MemorySegment outKept;   // the gate the last forward pass kept (null: none)

    // Tangent buffers of jvp, made on its first call (training with a JVP only).
    private Tensor jFeat, jT1, jT2, jE, jH0, jOutNorm;
    private Tensor[] jDown, jDownConv, jSum, jUp, jUpS;
    private Tensor jMid, jAttn;
    private int jCap;

    private void reserveJvp(int n) {
        if (n <= jCap) return;
        jCap = n;
        jFeat = ws.tensor(n, featWidth);
        jT1 = ws.tensor(n, tdim);
        jT2 = ws.tensor(n, tdim);
        jE = ws.tensor(n, tdim);
        jH0 = ws.tensor(n, ch[0], hw(0));
        jOutNorm = ws.tensor(n, ch[0], hw(0));
        jDown = new Tensor[levels];
        jDownConv = new Tensor[levels];
        jSum = new Tensor[levels];
        jUp = new Tensor[levels];
        jUpS = new Tensor[levels];
        for (int l = 0; l < levels; l++) {
            jDown[l] = ws.tensor(n, ch[l], hw(l));
            jDownConv[l] = l < levels - 1 ? ws.tensor(n, ch[l], hw(l + 1)) : null;
            jSum[l] = ws.tensor(n, ch[l], hw(l));
            jUp[l] = ws.tensor(n, l == 0 ? ch[0] : ch[l - 1], hw(l));
            jUpS[l] = l > 0 ? ws.tensor(n, ch[l - 1], hw(l - 1)) : null;
        }
        jMid = ws.tensor(n, ch[levels - 1], hw(levels - 1));
        if (midAttention != null) jAttn = ws.tensor(n, ch[levels - 1], hw(levels - 1));
    }

    /**
     * Forward mode through the last forward pass: the output's tangent for an image tangent ẋ
     * (n × dim) and a time tangent ṫ (the same for every row), into {@code out}. The class
     * embedding is constant. Each layer's jvp is checked against finite differences
     * (ConvLayersJvpTest), the whole network in UNetJvpTest.
     */
    public void jvp(MemorySegment dx, float dt, MemorySegment out, int n) { jvp(dx, dt, 0f, out, n); }

    /** The same with a tangent ḣ of the second time input (few-step models; unused with one input). */
    @Override
    public void jvp(MemorySegment dx, float dt, float dh, MemorySegment out, int n) {
        if (n > cap) throw new IllegalArgumentException(n + " rows > reserved " + cap);
        reserveJvp(n);
        long nt = (long) n * tdim;
        for (int r = 0; r < n; r++) {
            tfeat.jvp(feat.segment(), dt, jFeat.segment(), r, featWidth, 0);
            if (config.timeInputs() == 2) tfeat.jvp(feat.segment(), dh, jFeat.segment(), r, featWidth, tfeat.width());
        }
        t1.jvp(jFeat.segment(), jT1.segment(), n);
        Silu.jvp(t1Out.segment(), jT1.segment(), jT1.segment(), nt);
        t2.jvp(jT1.segment(), jT2.segment(), n);
        Silu.jvp(t2Out.segment(), jT2.segment(), jE.segment(), nt);
        MemorySegment es = e.segment(), je = jE.segment();
        convIn.jvp(dx, jH0.segment(), n);
        MemorySegment h = h0.segment(), jh = jH0.segment();
        for (int l = 0; l < levels; l++) {
            down[l].jvp(h, jh, je, jDown[l].segment(), n);
            h = down[l].output();
            jh = jDown[l].segment();
            if (l < levels - 1) {
                downConv[l].jvp(jh, jDownConv[l].segment(), n);
                h = downOut[l].segment();
                jh = jDownConv[l].segment();
            }
        }
        mid.jvp(h, jh, je, jMid.segment(), n);
        jh = jMid.segment();
        if (midAttention != null) {
            midAttention.jvp(mid.output(), jh, jAttn.segment(), n);
            jh = jAttn.segment();
        }
        for (int l = levels - 1; l >= 0; l--) {
            Elementwise.add(jh, jDown[l].segment(), jSum[l].segment(), (long) n * ch[l] * hw(l));
            up[l].jvp(sumIn[l].segment(), jSum[l].segment(), je, jUp[l].segment(), n);
            jh = jUp[l].segment();
            if (l > 0) {
                Upsample2x.jvp(jh, jUpS[l].segment(), n * ch[l - 1], hs[l], ws_[l]);
                jh = jUpS[l].segment();
            }
        }
        outNorm.jvp(finalIn(), jh, jOutNorm.segment(), n);
        act.siluBackwardWithGate(outNormed.segment(), outKept, jOutNorm.segment(), jOutNorm.segment(), (long) n * ch[0] * hw(0));
        convOut.jvp(jOutNorm.segment(), out, n);
    }

    @Override
    public void backward(MemorySegment dOut, MemorySegment dx, int n) {
        dE.zero();
        MemorySegment a0 = tmpA[0].segment(), b0 = tmpB[0].segment();
        convOut.backward(outAct.segment(), dOut, a0, n);
        outNorm.backwardSilu(finalIn(), outNormed.segment(), outKept, a0, b0, n);
        MemorySegment es = e.segment(), de = dE.segment();
        // up path, in reverse: level 0 first
        MemorySegment g = b0;
        for (int l = 0; l < levels; l++) {
            if (l > 0) {
                Upsample2x.backward(g, tmpA[l].segment(), n * ch[l - 1], hs[l], ws_[l]);
                g = tmpA[l].segment();
            }
            up[l].backward(sumIn[l].segment(), es, g, gradS[l].segment(), de, n);
            g = gradS[l].segment();   // dL/d(h + d_l): flows to h and to the skip d_l
        }
        int top = levels - 1;
        MemorySegment midIn = down[top].output();
        if (midAttention != null) {
            midAttention.backward(mid.output(), g, attnGrad.segment(), n);
            g = attnGrad.segment();
        }
        mid.backward(midIn, es, g, tmpA[top].segment(), de, n);
        g = tmpA[top].segment();
        for (int l = top; l >= 0; l--) {
            MemorySegment dd;
            if (l < top) {
                downConv[l].backward(down[l].output(), g, tmpA[l].segment(), n);
                dd = tmpA[l].segment();
            } else {
                dd = g;
            }
            long nl = (long) n * ch[l] * hw(l);
            Elementwise.add(dd, gradS[l].segment(), dd, nl);
            MemorySegment in = l == 0 ? h0.segment() : downOut[l - 1].segment();
            down[l].backward(in, es, dd, tmpB[l].segment(), de, n);
            g = tmpB[l].segment();
        }
        convIn.backward(lastX, g, dx, n); // dx null in training: the image's gradient is not needed
        // embedding MLP: e = SiLU(t2Out)
        Silu.backward(t2Out.segment(), de, de, (long) n * tdim);
        if (classEmb != null) {
            classEmb.grad().zero();
            Elementwise.scatterAddRows(classEmb.grad().segment(), de, labels, n, tdim);
        }
        t2.backward(t1Act.segment(), de, dT1.segment(), n);
        Silu.backward(t1Out.segment(), dT1.segment(), dT1.segment(), (long) n * tdim);
        t1.backward(feat.segment(), dT1.segment(), null, n);
    }
}
