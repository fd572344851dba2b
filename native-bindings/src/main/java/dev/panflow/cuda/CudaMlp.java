package dev.panflow.cuda;

import dev.panflow.nn.Mlp;
import dev.panflow.nn.MlpConfig;
import dev.panflow.nn.Param;
import dev.panflow.nn.ParamStore;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The {@link Mlp} velocity field on the GPU: the same layers, the same flat parameter layout
 * (so weights move between host and device in one copy each way), forward and backward with
 * cuBLAS GEMMs and the fused bias+SiLU kernels. Gradients overwrite {@link #grads()}.
 */
public final class CudaMlp implements AutoCloseable {
    final Gpu gpu;
    public final MlpConfig config;
    private final int dim, hidden, layers, inWidth, freqs;
    private final long flat;
    private final DeviceTensor values, grads, omega;
    private final long[] wAt, bAt, gwAt, gbAt;
    private final int[] ins, outs;

    public CudaMlp(Gpu gpu, Mlp host) {
        this.gpu = gpu;
        this.config = host.config;
        ParamStore store = host.params();
        dim = config.dim();
        hidden = config.hidden();
        layers = config.layers();
        freqs = config.embedding().frequencies();
        inWidth = dim + config.embedding().width();
        flat = store.flatSize();
        values = gpu.allocate(flat);
        grads = gpu.allocate(flat);
        gpu.zero(grads.ptr, flat);
        wAt = new long[layers + 1];
        bAt = new long[layers + 1];
        gwAt = new long[layers + 1];
        gbAt = new long[layers + 1];
        ins = new int[layers + 1];
        outs = new int[layers + 1];
        for (int i = 0; i <= layers; i++) {
            Param w = find(store, "net." + i + ".weight"), b = find(store, "net." + i + ".bias");
            ins[i] = w.shape()[0];
            outs[i] = w.shape()[1];
            wAt[i] = values.at(w.offset());
            bAt[i] = values.at(b.offset());
            gwAt[i] = grads.at(w.offset());
            gbAt[i] = grads.at(b.offset());
        }
        // ω_k of TimeEmbedding.sinusoidal: geometric from 1 to 100.
        omega = gpu.allocate(Math.max(1, freqs));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment o = a.allocate(4L * Math.max(1, freqs));
            for (int k = 0; k < freqs; k++)
                o.setAtIndex(ValueLayout.JAVA_FLOAT, k, (float) Math.exp(Math.log(100.0) * k / Math.max(1, freqs - 1)));
            if (freqs > 0) omega.upload(o, freqs);
        }
        uploadWeights(store.values());
    }

    private static Param find(ParamStore store, String name) {
        for (Param p : store.params()) if (p.name().equals(name)) return p;
        throw new IllegalArgumentException("no parameter " + name);
    }

    public int dim() { return dim; }
    public long flatSize() { return flat; }
    public DeviceTensor values() { return values; }
    public DeviceTensor grads() { return grads; }

    /** Copies a host buffer laid out like the parameter store (weights, EMA) to the device weights. */
    public void uploadWeights(Tensor hostFlat) { values.upload(hostFlat.segment(), flat); }

    public void downloadWeights(Tensor hostFlat) { values.download(hostFlat.segment(), flat); }

    public void downloadGrads(Tensor hostFlat) { grads.download(hostFlat.segment(), flat); }

    /** Device buffers of one forward/backward pass over at most {@code capacity} rows. */
    public final class Activations implements AutoCloseable {
        final int capacity;
        final boolean training;
        final DeviceTensor input, output, gradA, gradB, gradInput, ones;
        final DeviceTensor[] pre, post;

        Activations(int capacity, boolean training) {
            this.capacity = capacity;
            this.training = training;
            input = gpu.allocate((long) capacity * inWidth);
            pre = new DeviceTensor[layers];
            post = new DeviceTensor[layers];
            for (int i = 0; i < layers; i++) {
                if (training) pre[i] = gpu.allocate((long) capacity * hidden);
                post[i] = gpu.allocate((long) capacity * hidden);
            }
            output = gpu.allocate((long) capacity * dim);
            long g = training ? capacity : 1;
            gradA = gpu.allocate(g * hidden);
            gradB = gpu.allocate(g * hidden);
            gradInput = gpu.allocate(g * inWidth);
            ones = gpu.allocate(capacity);
            gpu.kernels.fill(ones.ptr, 1f, capacity);
        }

        public int capacity() { return capacity; }
        public DeviceTensor output() { return output; }
        public DeviceTensor input() { return input; }
        public DeviceTensor pre(int layer) { return pre[layer]; }
        public DeviceTensor post(int layer) { return post[layer]; }
        /** dL/d(input) of the last backward pass with input gradients: rows × (D + E). */
        public DeviceTensor gradInput() { return gradInput; }

        @Override
        public void close() {
            input.close();
            output.close();
            gradA.close();
            gradB.close();
            gradInput.close();
            ones.close();
            for (int i = 0; i < layers; i++) {
                if (pre[i] != null) pre[i].close();
                post[i].close();
            }
        }
    }

    public Activations activations(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be ≥ 1");
        return new Activations(capacity, true);
    }

    /** Buffers of forward passes only (sampling): no pre-activations, no gradients. */
    public Activations inferenceActivations(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be ≥ 1");
        return new Activations(capacity, false);
    }

    /** Hidden width (floats per row of an activation). */
    public int hidden() { return hidden; }
    public int layers() { return layers; }

    /** v = net(x, t) with per-row times t (device pointer), or every row at tAll when t is 0. Returns the output's address. */
    long forward(Activations acts, long x, long t, float tAll, int rows) {
        return forward(acts, x, t, tAll, rows, acts.output.ptr, true);
    }

    /**
     * The forward pass with the output written to {@code out}. Without {@code forBackward} (sampling),
     * SiLU overwrites its input in place and the buffers of a backward pass are left stale.
     */
    long forward(Activations acts, long x, long t, float tAll, int rows, long out, boolean forBackward) {
        if (rows > acts.capacity) throw new IllegalArgumentException(rows + " rows > capacity " + acts.capacity);
        gpu.kernels.embedInput(x, t, tAll, omega.ptr, freqs, acts.input.ptr, rows, dim);
        long h = acts.input.ptr;
        for (int i = 0; i < layers; i++) {
            long pre = forBackward ? acts.pre[i].ptr : acts.post[i].ptr;
            gpu.matmulNN(h, wAt[i], pre, rows, outs[i], ins[i], false);
            gpu.kernels.biasSilu(pre, bAt[i], acts.post[i].ptr, rows, outs[i]);
            h = acts.post[i].ptr;
        }
        gpu.matmulNN(h, wAt[layers], out, rows, outs[layers], ins[layers], false);
        gpu.kernels.addBias(out, bAt[layers], rows, outs[layers]);
        return out;
    }

    public DeviceTensor forward(Activations acts, DeviceTensor x, DeviceTensor t, int rows) {
        forward(acts, x.ptr, t.ptr, 0f, rows);
        return acts.output;
    }

    public DeviceTensor forward(Activations acts, DeviceTensor x, float t, int rows) {
        forward(acts, x.ptr, 0L, t, rows);
        return acts.output;
    }

    /** Backpropagates dL/dv (rows × D); parameter gradients are overwritten; dL/d(input) too if asked. */
    void backward(Activations acts, long dOut, boolean inputGrad, int rows) {
        if (!acts.training) throw new IllegalStateException("inference activations have no backward pass");
        long dPost = acts.gradA.ptr, dPre = acts.gradB.ptr;
        linearBackward(layers, acts.post[layers - 1].ptr, dOut, dPost, acts, rows);
        for (int i = layers - 1; i >= 0; i--) {
            gpu.kernels.siluBackward(acts.pre[i].ptr, dPost, dPre, (long) rows * outs[i]);
            long layerIn = i == 0 ? acts.input.ptr : acts.post[i - 1].ptr;
            long dIn = i == 0 ? (inputGrad ? acts.gradInput.ptr : 0L) : dPost;
            linearBackward(i, layerIn, dPre, dIn, acts, rows);
        }
    }

    public void backward(Activations acts, DeviceTensor dOut, boolean inputGrad, int rows) {
        backward(acts, dOut.ptr, inputGrad, rows);
    }

    private void linearBackward(int i, long x, long dy, long dx, Activations acts, int rows) {
        gpu.matmulTN(x, dy, gwAt[i], ins[i], outs[i], rows);
        gpu.sumRows(dy, acts.ones.ptr, gbAt[i], rows, outs[i]);
        if (dx != 0L) gpu.matmulNT(dy, wAt[i], dx, rows, ins[i], outs[i]);
    }

    @Override
    public void close() {
        values.close();
        grads.close();
        omega.close();
    }
}
