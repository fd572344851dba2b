package dev.panflow.nn;

import dev.panflow.kernels.DenseGemm;
import dev.panflow.kernels.Elementwise;
import dev.panflow.kernels.Gemm;
import dev.panflow.kernels.JvmDense;
import dev.panflow.kernels.ParallelKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;

/**
 * Dense layer y = x·W + b with W stored [in × out] (so the forward pass is a plain A·B and
 * the backward passes are Aᵀ·B and A·Bᵀ, the three layouts of {@link DenseGemm}). The GEMM is
 * the JVM's unless a backend supplies one; bias and SiLU run after a native GEMM.
 */
public final class Linear {
    public final int in;
    public final int out;
    public final Param weight;
    public final Param bias;
    private final DenseGemm mm;
    /** The JVM's GEMM: its packed-W forms and fused epilogues apply. */
    private final boolean jvm;
    private final ParallelKernels ops;

    public Linear(ParamStore store, Pool pool, String name, int in, int out) {
        this(store, pool, name, in, out, null);
    }

    /** With the dense GEMM {@code gemm} (null: the JVM's on {@code pool}). */
    public Linear(ParamStore store, Pool pool, String name, int in, int out, DenseGemm gemm) {
        this.in = in;
        this.out = out;
        this.weight = store.declare(name + ".weight", in, out);
        this.bias = store.declare(name + ".bias", out);
        this.mm = gemm == null ? new JvmDense(pool) : gemm;
        this.jvm = mm.jvmKernels();
        this.ops = new ParallelKernels(pool);
    }

    /** PyTorch's default: W, b ~ U(−1/√in, 1/√in). */
    public void init(Rng rng) {
        float bound = (float) (1.0 / Math.sqrt(in));
        rng.fillUniform(weight.value().segment(), weight.size(), -bound, bound);
        rng.fillUniform(bias.value().segment(), bias.size(), -bound, bound);
    }

    /** Re-draws input rows [from, to) of W from U(−bound, bound) (per-group fan-in init). */
    public void initInputRows(Rng rng, int from, int to, float bound) {
        var w = weight.value().segment();
        rng.fillUniform(w.asSlice(4L * from * out, 4L * (to - from) * out), (long) (to - from) * out, -bound, bound);
    }

    /** y[rows × out] = x[rows × in]·W + b. */
    public void forward(MemorySegment x, MemorySegment y, int rows) {
        mm.nn(x, weight.value().segment(), y, rows, out, in, false);
        Elementwise.addBias(y, bias.value().segment(), rows, out);
    }

    /**
     * A hidden layer kept for a backward pass: with v = x·W + b, gate[rows × out] = σ(v) and
     * post = v·σ(v) (= silu(v)); bias and SiLU in one pass after the GEMM. The gate is what the
     * backward pass needs beside post ({@link dev.panflow.kernels.Elementwise#siluBackwardGate}: no exp there).
     */
    public void forwardSilu(MemorySegment x, MemorySegment gate, MemorySegment post, int rows) {
        mm.nn(x, weight.value().segment(), gate, rows, out, in, false);
        ops.biasSiluGate(gate, bias.value().segment(), post, rows, out);
    }

    // Row-range forms on the calling thread only (no pool): several threads may run them at once
    // on disjoint rows. Every element is computed as by the pooled forms, so results are the same bits.

    // W packed for the GEMM once per pass and shared by the threads' row ranges (made on demand).
    private float[] packedW, packedWt;

    /** Packs W for {@link #forwardRows}/{@link #forwardSiluRows} with {@code prepacked}; call after W changed. */
    void prepackForward() {
        if (!jvm) return;
        if (packedW == null) packedW = new float[Gemm.packedSize(in, out)];
        Gemm.packWhole(weight.value().segment(), false, in, out, packedW);
    }

    /** Packs Wᵀ for {@link #backwardInputRows} with {@code prepacked}. */
    void prepackBackward() {
        if (!jvm) return;
        if (packedWt == null) packedWt = new float[Gemm.packedSize(out, in)];
        Gemm.packWhole(weight.value().segment(), true, out, in, packedWt);
    }

    /** Rows [r0, r1) of y = x·W + b ({@code prepacked}: W as packed by the last {@link #prepackForward}). */
    void forwardRows(MemorySegment x, MemorySegment y, int r0, int r1, boolean prepacked) {
        if (!jvm) mm.nnRows(x, weight.value().segment(), y, r1, out, in, r0, r1);
        else if (prepacked) Gemm.nnPacked(x, packedW, y, out, in, r0, r1);
        else Gemm.nn(x, weight.value().segment(), y, r1, out, in, false, r0, r1);
        Elementwise.addBias(y, bias.value().segment(), r0, r1, out);
    }

    /**
     * Rows [r0, r1) of post = silu(x·W + b) and, unless {@code gate} is post, gate = σ(x·W + b)
     * (as {@link #forwardSilu}). Inference (gate = post) runs bias + SiLU in the GEMM's epilogue:
     * 2–4 % faster sampling. Training (gate kept) runs them after the GEMM: fused was not faster
     * there (level to a few % slower in the 2026-11-26 runs, bench/README "Panflow vs PyTorch").
     * post is the same bits either way. A native GEMM: bias and SiLU in one pass after it.
     */
    void forwardSiluRows(MemorySegment x, MemorySegment gate, MemorySegment post, int r0, int r1, boolean prepacked) {
        boolean keep = !post.equals(gate);
        if (!jvm) {
            mm.nnRows(x, weight.value().segment(), gate, r1, out, in, r0, r1);
            if (keep) Elementwise.biasSiluGate(gate, bias.value().segment(), post, r0, r1, out);
            else Elementwise.biasSilu(post, bias.value().segment(), post, r0, r1, out);
            return;
        }
        if (!keep) {
            if (prepacked) Gemm.nnPackedBiasSilu(x, packedW, bias.value().segment(), post, post, out, in, r0, r1);
            else Gemm.nnBiasSilu(x, weight.value().segment(), bias.value().segment(), post, post, r1, out, in, r0, r1, 0, out);
            return;
        }
        if (prepacked) Gemm.nnPacked(x, packedW, gate, out, in, r0, r1);
        else Gemm.nn(x, weight.value().segment(), gate, r1, out, in, false, r0, r1);
        Elementwise.biasSiluGate(gate, bias.value().segment(), post, r0, r1, out);
    }

    /** Rows [r0, r1) of dx = dy·Wᵀ ({@code prepacked}: Wᵀ as packed by the last {@link #prepackBackward}). */
    void backwardInputRows(MemorySegment dy, MemorySegment dx, int r0, int r1, boolean prepacked) {
        if (!jvm) mm.ntRows(dy, weight.value().segment(), dx, r1, in, out, r0, r1);
        else if (prepacked) Gemm.nnPacked(dy, packedWt, dx, in, out, r0, r1);
        else Gemm.nt(dy, weight.value().segment(), dx, r1, in, out, false, r0, r1);
    }

    /**
     * Rows [w0, w1) of dL/dW = xᵀ·dy over {@code rows} batch rows (x [rows × in], dy [rows × out]),
     * and dL/db = Σ_rows dy too when {@code withBias}.
     */
    void weightGradRows(MemorySegment x, MemorySegment dy, int rows, int w0, int w1, boolean withBias) {
        if (jvm) Gemm.tn(x, dy, weight.grad().segment(), in, out, rows, false, w0, w1);
        else mm.tnRows(x, dy, weight.grad().segment(), in, out, rows, w0, w1);
        if (withBias) Elementwise.sumRows(dy, bias.grad().segment(), rows, out, false);
    }

    /**
     * Given dL/dy, writes dL/dW = xᵀ·dy and dL/db = Σ_rows dy into the gradients (overwriting
     * them), and dL/dx = dy·Wᵀ into {@code dx} unless it is null.
     */
    public void backward(MemorySegment x, MemorySegment dy, MemorySegment dx, int rows) {
        mm.tn(x, dy, weight.grad().segment(), in, out, rows, false);
        Elementwise.sumRows(dy, bias.grad().segment(), rows, out, false);
        if (dx != null) mm.nt(dy, weight.value().segment(), dx, rows, in, out, false);
    }

    /** dL/dx = dy·Wᵀ only (no parameter gradients): the input half of {@link #backward}. */
    public void backwardInput(MemorySegment dy, MemorySegment dx, int rows) {
        mm.nt(dy, weight.value().segment(), dx, rows, in, out, false);
    }

    /** Forward mode: the tangent ẏ = ẋ·W of the output for an input tangent ẋ (the bias is constant). */
    public void jvp(MemorySegment dx, MemorySegment dy, int rows) {
        mm.nn(dx, weight.value().segment(), dy, rows, out, in, false);
    }
}
