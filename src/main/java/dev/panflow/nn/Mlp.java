package dev.panflow.nn;

import dev.panflow.kernels.ParallelKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The velocity field v(x, t): concat(x, emb(t)) → H → … → H → D, SiLU after each hidden layer
 * ({@code layers} hidden layers, so layers + 1 Linear maps). Forward and backward are explicit;
 * the buffers of one pass live in an {@link Activations} made once per batch capacity.
 */
public final class Mlp {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    public final MlpConfig config;
    private final TimeEmbedding embedding;
    private final Linear[] linears;
    private final ParamStore store = new ParamStore();
    private final int inWidth;
    private final ParallelKernels ops;

    public Mlp(MlpConfig config, Pool pool, Workspace ws) {
        this.config = config;
        this.embedding = config.embedding();
        this.inWidth = config.dim() + embedding.width();
        this.ops = new ParallelKernels(pool);
        linears = new Linear[config.layers() + 1];
        for (int i = 0; i <= config.layers(); i++) {
            int in = i == 0 ? inWidth : config.hidden();
            int out = i == config.layers() ? config.dim() : config.hidden();
            linears[i] = new Linear(store, pool, "net." + i, in, out);
        }
        store.allocate(ws.arena());
    }

    public void init(Rng rng) {
        for (Linear l : linears) l.init(rng);
        if (embedding.frequencies() > 0) {
            // x and emb(t) enter the first layer as if through two Linear maps, each initialised for
            // its own fan-in: otherwise 2E time features drown D data coordinates at the start.
            int d = config.dim(), e = embedding.width();
            linears[0].initInputRows(rng, 0, d, (float) (1.0 / Math.sqrt(d)));
            linears[0].initInputRows(rng, d, d + e, (float) (1.0 / Math.sqrt(e)));
        }
    }

    public ParamStore params() { return store; }

    public int dim() { return config.dim(); }

    /** Buffers of one forward/backward pass over at most {@code capacity} rows. */
    public final class Activations {
        final int capacity;
        final Tensor input;      // [cap × (D + E)]: x beside emb(t)
        final Tensor[] pre;      // per hidden layer: Linear output before SiLU
        final Tensor[] post;     // per hidden layer: SiLU output
        final Tensor output;     // [cap × D]
        final Tensor gradA, gradB, gradInput;

        Activations(Workspace ws, int capacity) {
            this.capacity = capacity;
            int h = config.hidden();
            input = ws.tensor(capacity, inWidth);
            pre = new Tensor[config.layers()];
            post = new Tensor[config.layers()];
            for (int i = 0; i < config.layers(); i++) {
                pre[i] = ws.tensor(capacity, h);
                post[i] = ws.tensor(capacity, h);
            }
            output = ws.tensor(capacity, config.dim());
            gradA = ws.tensor(capacity, h);
            gradB = ws.tensor(capacity, h);
            gradInput = ws.tensor(capacity, inWidth);
        }

        public int capacity() { return capacity; }

        /** The network's output of the last forward pass. */
        public Tensor output() { return output; }
    }

    public Activations activations(Workspace ws, int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be ≥ 1");
        return new Activations(ws, capacity);
    }

    /** v = net(x, t) for rows with their own times t[rows]; result in {@code acts.output()}. */
    public MemorySegment forward(Activations acts, MemorySegment x, MemorySegment t, int rows) {
        fillInput(acts, x, 0, rows, t, 0f);
        return run(acts, rows);
    }

    /** v = net(x, t) with every row at the same time t. */
    public MemorySegment forward(Activations acts, MemorySegment x, float t, int rows) {
        return forward(acts, x, 0, t, rows);
    }

    /** v = net(x, t) for rows [firstRow, firstRow + rows) of x (no slice object: the sampler calls this per chunk). */
    public MemorySegment forward(Activations acts, MemorySegment x, long firstRow, float t, int rows) {
        fillInput(acts, x, firstRow, rows, null, t);
        return run(acts, rows);
    }

    private void fillInput(Activations acts, MemorySegment x, long firstRow, int rows, MemorySegment tRows, float tAll) {
        if (rows > acts.capacity) throw new IllegalArgumentException(rows + " rows > capacity " + acts.capacity);
        int d = config.dim();
        MemorySegment in = acts.input.segment();
        long src = 4L * firstRow * d;
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(x, src + 4L * r * d, in, 4L * r * inWidth, 4L * d);
            float t = tRows == null ? tAll : tRows.getAtIndex(F32, r);
            embedding.write(t, in, r, inWidth, d);
        }
    }

    private MemorySegment run(Activations acts, int rows) {
        MemorySegment h = acts.input.segment();
        for (int i = 0; i < config.layers(); i++) {
            linears[i].forwardSilu(h, acts.pre[i].segment(), acts.post[i].segment(), rows);
            h = acts.post[i].segment();
        }
        linears[config.layers()].forward(h, acts.output.segment(), rows);
        return acts.output.segment();
    }

    /**
     * Backpropagates dL/dv (rows × D) through the last forward pass: parameter gradients are
     * overwritten in {@link #params()}; dL/dx (rows × D) goes to {@code dx} unless it is null.
     */
    public void backward(Activations acts, MemorySegment dOut, MemorySegment dx, int rows) {
        int last = config.layers();
        long n = (long) rows * config.hidden();
        MemorySegment dPost = acts.gradA.segment();
        MemorySegment dPre = acts.gradB.segment();
        linears[last].backward(acts.post[last - 1].segment(), dOut, dPost, rows);
        for (int i = last - 1; i >= 0; i--) {
            ops.siluBackward(acts.pre[i].segment(), dPost, dPre, n);  // dL/dpre = dL/dpost · silu'(pre)
            MemorySegment layerIn = i == 0 ? acts.input.segment() : acts.post[i - 1].segment();
            MemorySegment dIn = i == 0 ? (dx == null ? null : acts.gradInput.segment()) : dPost;
            linears[i].backward(layerIn, dPre, dIn, rows);
        }
        if (dx != null) {
            int d = config.dim();
            MemorySegment gi = acts.gradInput.segment();
            for (int r = 0; r < rows; r++) MemorySegment.copy(gi, 4L * r * inWidth, dx, 4L * r * d, 4L * d);
        }
    }

    /**
     * Vector–Jacobian product through the last forward pass: dx = uᵀ·∂v/∂x per row (rows × D).
     * Like {@link #backward} with dOut = u, but leaves the parameter gradients untouched and
     * skips their GEMMs (likelihoods need only the input side).
     */
    public void inputVjp(Activations acts, MemorySegment u, MemorySegment dx, int rows) {
        int last = config.layers();
        long n = (long) rows * config.hidden();
        MemorySegment dPost = acts.gradA.segment();
        MemorySegment dPre = acts.gradB.segment();
        linears[last].backwardInput(u, dPost, rows);
        for (int i = last - 1; i >= 0; i--) {
            Silu.backward(acts.pre[i].segment(), dPost, dPre, n);
            linears[i].backwardInput(dPre, i == 0 ? acts.gradInput.segment() : dPost, rows);
        }
        int d = config.dim();
        MemorySegment gi = acts.gradInput.segment();
        for (int r = 0; r < rows; r++) MemorySegment.copy(gi, 4L * r * inWidth, dx, 4L * r * d, 4L * d);
    }
}
