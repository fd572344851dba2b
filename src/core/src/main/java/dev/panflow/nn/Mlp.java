package dev.panflow.nn;

import dev.panflow.kernels.DenseGemm;
import dev.panflow.kernels.Elementwise;
import dev.panflow.kernels.ParallelKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The velocity field v(x, t): concat(x, emb(t)) → H → … → H → D, SiLU after each hidden layer
 * ({@code layers} hidden layers, so layers + 1 Linear maps); with two time inputs (few-step
 * models) u(x, t, h) on concat(x, emb(t), emb(h)). Forward, backward and forward-mode
 * ({@link #jvp}) passes are explicit; the buffers of one pass live in an {@link Activations}
 * made once per batch capacity.
 */
public final class Mlp {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    public final MlpConfig config;
    private final TimeEmbedding embedding;
    private final Linear[] linears;
    private final ParamStore store = new ParamStore();
    private final int inWidth;
    private final ParallelKernels ops;
    private final Pool pool;
    private final String gemmName;
    /**
     * Layers small enough that a training step is dominated by per-call overhead (thread
     * hand-offs per layer): then forward and backward split the batch rows over the pool once per
     * pass and each thread runs every layer on its rows (see {@link #forward}, {@link #backward}).
     */
    private boolean rowSplit;
    private final FwdBody fwdBody = new FwdBody();
    private final BwdBody bwdBody = new BwdBody();
    private final GradBody gradBody = new GradBody();
    /** Weight-gradient work items (layer, rows [w0, w1) of dL/dW, with the bias?), biggest first. */
    private final int[] itemLayer, itemW0, itemW1;
    private final boolean[] itemBias;

    /** Row tile of the forward/backward split: the GEMM's micro-tile height. */
    private static final int ROW_TILE = 4;
    /** Largest hidden width (and input width) trained with the row split. */
    static final int ROW_SPLIT_MAX_WIDTH = 256;

    public Mlp(MlpConfig config, Pool pool, Workspace ws) {
        this(config, pool, ws, null);
    }

    /**
     * With the dense layers' GEMM {@code gemm} (null: the JVM's, each layer its own on {@code pool}),
     * e.g. a backend's native one; it is then shared by all layers, so one caller at a time.
     */
    public Mlp(MlpConfig config, Pool pool, Workspace ws, DenseGemm gemm) {
        this.config = config;
        this.gemmName = gemm == null ? "jvm" : gemm.name();
        this.pool = pool;
        this.embedding = config.embedding();
        this.inWidth = config.dim() + config.timeInputs() * embedding.width();
        this.ops = new ParallelKernels(pool);
        linears = new Linear[config.layers() + 1];
        for (int i = 0; i <= config.layers(); i++) {
            int in = i == 0 ? inWidth : config.hidden();
            int out = i == config.layers() ? config.dim() : config.hidden();
            linears[i] = new Linear(store, pool, "net." + i, in, out, gemm);
        }
        store.allocate(ws.arena());
        rowSplit = pool != null && config.hidden() <= ROW_SPLIT_MAX_WIDTH && inWidth <= ROW_SPLIT_MAX_WIDTH
                && config.dim() <= ROW_SPLIT_MAX_WIDTH && config.layers() >= 1;
        // dL/dW items: each layer's rows of dW in pieces of at least 32 K weights (a 128×128 layer is one).
        java.util.List<int[]> items = new java.util.ArrayList<>();
        for (int i = 0; i <= config.layers(); i++) {
            Linear l = linears[i];
            // A piece packs all of dy again, so small layers stay whole (threads take whole layers).
            int pieces = (int) Math.max(1, Math.min((l.in + 15) / 16, (long) l.in * l.out / 32768));
            for (int p = 0; p < pieces; p++)
                items.add(new int[] {i, (int) ((long) l.in * p / pieces), (int) ((long) l.in * (p + 1) / pieces), p == 0 ? 1 : 0});
        }
        items.sort((a, b) -> Long.compare((long) (b[2] - b[1]) * linears[b[0]].out, (long) (a[2] - a[1]) * linears[a[0]].out));
        itemLayer = new int[items.size()];
        itemW0 = new int[items.size()];
        itemW1 = new int[items.size()];
        itemBias = new boolean[items.size()];
        for (int j = 0; j < items.size(); j++) {
            int[] it = items.get(j);
            itemLayer[j] = it[0];
            itemW0[j] = it[1];
            itemW1[j] = it[2];
            itemBias[j] = it[3] == 1;
        }
    }

    /**
     * Packs every layer's weights for the GEMM once, for {@link #forwardSerial} with
     * {@code prepacked} on any number of threads; call again after the weights change.
     */
    public void prepackWeights() {
        for (Linear l : linears) l.prepackForward();
    }

    /** Tests: off runs every pass layer by layer (each layer split over the pool), the reference. */
    void setRowSplit(boolean on) { rowSplit = on && pool != null && config.layers() >= 1; }

    /** Who runs the dense layers' GEMMs ("jvm", "onednn"). */
    public String gemmName() { return gemmName; }

    /** The pool the layers run on (may be null). */
    public Pool pool() { return pool; }

    public void init(Rng rng) {
        for (Linear l : linears) l.init(rng);
        if (embedding.frequencies() > 0) {
            // x and emb(t) enter the first layer as if through two Linear maps, each initialised for
            // its own fan-in: otherwise 2E time features drown D data coordinates at the start.
            int d = config.dim(), e = embedding.width();
            linears[0].initInputRows(rng, 0, d, (float) (1.0 / Math.sqrt(d)));
            for (int k = 0; k < config.timeInputs(); k++)
                linears[0].initInputRows(rng, d + k * e, d + (k + 1) * e, (float) (1.0 / Math.sqrt(e)));
        }
    }

    public ParamStore params() { return store; }

    public int dim() { return config.dim(); }

    /** Buffers of one forward/backward pass over at most {@code capacity} rows. */
    public final class Activations {
        final int capacity;
        final Tensor input;      // [cap × (D + E)]: x beside emb(t)
        final Tensor[] gate;     // per hidden layer: σ(Linear output), the SiLU's gate (the backward pass's)
        final Tensor[] post;     // per hidden layer: SiLU output
        final Tensor output;     // [cap × D]
        final Tensor gradA, gradB, gradInput;
        /** Row-split training only: dL/dpre per hidden layer, kept until the weight gradients (else null). */
        final Tensor[] dpre;

        Activations(Workspace ws, int capacity, boolean training) {
            this.capacity = capacity;
            int h = config.hidden();
            input = ws.tensor(capacity, inWidth);
            gate = new Tensor[config.layers()];
            post = new Tensor[config.layers()];
            for (int i = 0; i < config.layers(); i++) {
                gate[i] = ws.tensor(capacity, h);
                post[i] = ws.tensor(capacity, h);
            }
            output = ws.tensor(capacity, config.dim());
            gradA = ws.tensor(capacity, h);
            gradB = ws.tensor(capacity, h);
            gradInput = ws.tensor(capacity, inWidth);
            if (training && rowSplit) {
                dpre = new Tensor[config.layers()];
                for (int i = 0; i < config.layers(); i++) dpre[i] = ws.tensor(capacity, h);
            } else dpre = null;
        }

        public int capacity() { return capacity; }

        /** The network's output of the last forward pass. */
        public Tensor output() { return output; }
    }

    public Activations activations(Workspace ws, int capacity) {
        return activations(ws, capacity, false);
    }

    /**
     * Buffers for at most {@code capacity} rows; {@code training} adds what the row-split
     * backward pass of small models keeps per layer (without it, backward runs layer by layer).
     */
    public Activations activations(Workspace ws, int capacity, boolean training) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be ≥ 1");
        return new Activations(ws, capacity, training);
    }

    /** v = net(x, t) for rows with their own times t[rows]; result in {@code acts.output()}. */
    public MemorySegment forward(Activations acts, MemorySegment x, MemorySegment t, int rows) {
        return forward(acts, x, t, null, rows);
    }

    /**
     * u = net(x, t, h) for rows with their own times t[rows] and step lengths h[rows] (a model
     * with two time inputs; h null: every h = 0, the instantaneous velocity).
     */
    public MemorySegment forward(Activations acts, MemorySegment x, MemorySegment t, MemorySegment h, int rows) {
        if (rowSplit) return forwardSplit(acts, x, 0, t, 0f, h, 0f, rows);
        fillInput(acts, x, 0, 0, rows, t, 0f, h, 0f);
        return run(acts, rows);
    }

    /** v = net(x, t) with every row at the same time t. */
    public MemorySegment forward(Activations acts, MemorySegment x, float t, int rows) {
        return forward(acts, x, 0, t, rows);
    }

    /** v = net(x, t) for rows [firstRow, firstRow + rows) of x (no slice object: the sampler calls this per chunk). */
    public MemorySegment forward(Activations acts, MemorySegment x, long firstRow, float t, int rows) {
        if (rowSplit) return forwardSplit(acts, x, firstRow, null, t, null, 0f, rows);
        fillInput(acts, x, firstRow, 0, rows, null, t, null, 0f);
        return run(acts, rows);
    }

    /**
     * Inference on the calling thread only (never the pool), so several threads may each run it
     * with their own {@code acts}: v = net(x, t) for rows [firstRow, firstRow + rows) of x, into
     * {@code acts.output()}. Keeps only the SiLU outputs, ping-ponging between two buffers so a
     * chunk's activations stay in cache. The same bits as {@link #forward}.
     */
    public MemorySegment forwardSerial(Activations acts, MemorySegment x, long firstRow, float t, int rows) {
        return forwardSerial(acts, x, firstRow, t, rows, false);
    }

    /** As above; {@code prepacked}: with the weights packed by the last {@link #prepackWeights()}. */
    public MemorySegment forwardSerial(Activations acts, MemorySegment x, long firstRow, float t, int rows, boolean prepacked) {
        return forwardSerial(acts, x, firstRow, null, t, rows, prepacked);
    }

    /**
     * As above with a time per row: row r (of x's rows [firstRow, firstRow + rows)) at
     * {@code tRows[r]}; with tRows null every row at tAll.
     */
    public MemorySegment forwardSerial(Activations acts, MemorySegment x, long firstRow, MemorySegment tRows, float tAll, int rows,
                                       boolean prepacked) {
        return forwardSerial(acts, x, firstRow, tRows, tAll, 0f, rows, prepacked);
    }

    /** As above, with every row's second time input (step length) at {@code hAll}: u(x, t, h) of a few-step model. */
    public MemorySegment forwardSerial(Activations acts, MemorySegment x, long firstRow, MemorySegment tRows, float tAll, float hAll,
                                       int rows, boolean prepacked) {
        return forwardSerial(acts, x, firstRow, tRows, tAll, null, hAll, rows, prepacked);
    }

    /** As above with a step length per row: h = hRows[r] (rows [0, rows) of hRows), or hAll for every row when hRows is null. */
    public MemorySegment forwardSerial(Activations acts, MemorySegment x, long firstRow, MemorySegment tRows, float tAll,
                                       MemorySegment hRows, float hAll, int rows, boolean prepacked) {
        fillInput(acts, x, firstRow, 0, rows, tRows, tAll, hRows, hAll);
        MemorySegment h = acts.input.segment();
        for (int i = 0; i < config.layers(); i++) {
            MemorySegment y = (i & 1) == 0 ? acts.gate[0].segment() : acts.post[0].segment();
            linears[i].forwardSiluRows(h, y, y, 0, rows, prepacked);
            h = y;
        }
        linears[config.layers()].forwardRows(h, acts.output.segment(), 0, rows, prepacked);
        return acts.output.segment();
    }

    private MemorySegment forwardSplit(Activations acts, MemorySegment x, long firstRow, MemorySegment tRows, float tAll,
                                       MemorySegment hRows, float hAll, int rows) {
        if (rows > acts.capacity) throw new IllegalArgumentException(rows + " rows > capacity " + acts.capacity);
        FwdBody b = fwdBody;
        b.acts = acts;
        b.x = x;
        b.firstRow = firstRow;
        b.tRows = tRows;
        b.tAll = tAll;
        b.hRows = hRows;
        b.hAll = hAll;
        b.rows = rows;
        b.pieceRows = pieceRows(rows);
        b.next.set(0);
        int pieces = (rows + b.pieceRows - 1) / b.pieceRows;
        // With several pieces each would pack every layer's W again: pack once, share.
        b.prepacked = pieces > 1;
        if (b.prepacked) for (Linear l : linears) l.prepackForward();
        pool.parallelFor(Math.min(pool.threads(), pieces), 1, b);
        b.acts = null;
        b.x = b.tRows = b.hRows = null;
        return acts.output.segment();
    }

    /**
     * Rows per piece of a row-split pass: threads take the next piece when done with one, so a
     * thread the OS holds back leaves its share to the others. Up to 4 pieces per thread, each
     * at least ~128 K multiply-adds of the widest layer (as MatMul), a multiple of the row tile.
     */
    private int pieceRows(int rows) {
        long perRow = (long) config.hidden() * Math.max(config.hidden(), inWidth);
        int minRows = (int) Math.min(rows, Math.max(ROW_TILE, (1L << 17) / perRow));
        int pieces = (int) Math.max(1, Math.min(4L * pool.threads(), rows / Math.max(1, minRows)));
        int per = (rows + pieces - 1) / pieces;
        return (per + ROW_TILE - 1) / ROW_TILE * ROW_TILE;
    }

    /** Rows [r0, r1) through every layer, on the calling thread. */
    private void forwardRows(Activations acts, MemorySegment x, long firstRow, MemorySegment tRows, float tAll,
                             MemorySegment hRows, float hAll, int r0, int r1, boolean prepacked) {
        fillInput(acts, x, firstRow, r0, r1, tRows, tAll, hRows, hAll);
        MemorySegment h = acts.input.segment();
        for (int i = 0; i < config.layers(); i++) {
            linears[i].forwardSiluRows(h, acts.gate[i].segment(), acts.post[i].segment(), r0, r1, prepacked);
            h = acts.post[i].segment();
        }
        linears[config.layers()].forwardRows(h, acts.output.segment(), r0, r1, prepacked);
    }

    private final class FwdBody implements Pool.RangeBody {
        final AtomicInteger next = new AtomicInteger();
        Activations acts;
        MemorySegment x, tRows, hRows;
        long firstRow;
        float tAll, hAll;
        int rows, pieceRows;
        boolean prepacked;

        @Override
        public void range(int from, int to) {
            for (int r0; (r0 = next.getAndIncrement() * pieceRows) < rows; )
                forwardRows(acts, x, firstRow, tRows, tAll, hRows, hAll, r0, Math.min(rows, r0 + pieceRows), prepacked);
        }
    }

    /** Input rows [r0, r1): row r is x's row firstRow + r beside emb(t_r) (and emb(h_r) with two time inputs). */
    private void fillInput(Activations acts, MemorySegment x, long firstRow, int r0, int rows, MemorySegment tRows, float tAll,
                           MemorySegment hRows, float hAll) {
        if (rows > acts.capacity) throw new IllegalArgumentException(rows + " rows > capacity " + acts.capacity);
        int d = config.dim();
        boolean twoTimes = config.timeInputs() == 2;
        MemorySegment in = acts.input.segment();
        long src = 4L * firstRow * d;
        // One time for every row (sampling): its features are computed once, at row r0, and copied.
        boolean sharedT = tRows == null && (!twoTimes || hRows == null);
        long featBytes = 4L * (inWidth - d);
        for (int r = r0; r < rows; r++) {
            if (d <= 8) {   // a few floats: element copies beat a bulk-copy call per row
                long xi = firstRow * d + (long) r * d, ii = (long) r * inWidth;
                for (int j = 0; j < d; j++) in.setAtIndex(F32, ii + j, x.getAtIndex(F32, xi + j));
            } else MemorySegment.copy(x, src + 4L * r * d, in, 4L * r * inWidth, 4L * d);
            if (sharedT && r > r0) {
                MemorySegment.copy(in, 4L * ((long) r0 * inWidth + d), in, 4L * ((long) r * inWidth + d), featBytes);
                continue;
            }
            float t = tRows == null ? tAll : tRows.getAtIndex(F32, r);
            embedding.write(t, in, r, inWidth, d);
            if (twoTimes) embedding.write(hRows == null ? hAll : hRows.getAtIndex(F32, r), in, r, inWidth, d + embedding.width());
        }
    }

    private MemorySegment run(Activations acts, int rows) {
        MemorySegment h = acts.input.segment();
        for (int i = 0; i < config.layers(); i++) {
            linears[i].forwardSilu(h, acts.gate[i].segment(), acts.post[i].segment(), rows);
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
        if (rowSplit && acts.dpre != null) {
            backwardSplit(acts, dOut, dx, rows);
            return;
        }
        int last = config.layers();
        long n = (long) rows * config.hidden();
        MemorySegment dPost = acts.gradA.segment();
        MemorySegment dPre = acts.gradB.segment();
        linears[last].backward(acts.post[last - 1].segment(), dOut, dPost, rows);
        for (int i = last - 1; i >= 0; i--) {
            ops.siluBackwardGate(acts.gate[i].segment(), acts.post[i].segment(), dPost, dPre, n);  // dL/dpre = dL/dpost · silu'(pre)
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
     * The row-split backward pass: (1) the batch rows are split over the pool once and each
     * thread carries its rows' dL/dpre down through every layer (keeping each layer's in
     * {@code acts.dpre}); (2) the weight and bias gradients, which sum over all rows, are shared
     * out as whole pieces of dL/dW (threads take the next piece as they finish one). Each
     * gradient element is computed exactly as by the layer-by-layer pass.
     */
    private void backwardSplit(Activations acts, MemorySegment dOut, MemorySegment dx, int rows) {
        BwdBody b = bwdBody;
        b.acts = acts;
        b.dOut = dOut;
        b.wantDx = dx != null;
        b.rows = rows;
        b.pieceRows = pieceRows(rows);
        b.next.set(0);
        int pieces = (rows + b.pieceRows - 1) / b.pieceRows;
        b.prepacked = pieces > 1;
        if (b.prepacked) for (int i = 0; i <= config.layers(); i++) if (i > 0 || dx != null) linears[i].prepackBackward();
        pool.parallelFor(Math.min(pool.threads(), pieces), 1, b);
        b.acts = null;
        b.dOut = null;
        GradBody g = gradBody;
        g.acts = acts;
        g.dOut = dOut;
        g.rows = rows;
        g.next.set(0);
        pool.parallelFor(Math.min(pool.threads(), itemLayer.length), 1, g);
        g.acts = null;
        g.dOut = null;
        if (dx != null) {
            int d = config.dim();
            MemorySegment gi = acts.gradInput.segment();
            for (int r = 0; r < rows; r++) MemorySegment.copy(gi, 4L * r * inWidth, dx, 4L * r * d, 4L * d);
        }
    }

    private final class BwdBody implements Pool.RangeBody {
        final AtomicInteger next = new AtomicInteger();
        Activations acts;
        MemorySegment dOut;
        boolean wantDx, prepacked;
        int rows, pieceRows;

        @Override
        public void range(int from, int to) {
            for (int r0; (r0 = next.getAndIncrement() * pieceRows) < rows; ) rows(r0, Math.min(rows, r0 + pieceRows));
        }

        private void rows(int r0, int r1) {
            int last = config.layers(), h = config.hidden();
            MemorySegment dPost = acts.gradA.segment();
            linears[last].backwardInputRows(dOut, dPost, r0, r1, prepacked);
            for (int i = last - 1; i >= 0; i--) {
                MemorySegment dPre = acts.dpre[i].segment();
                Elementwise.siluBackwardGate(acts.gate[i].segment(), acts.post[i].segment(), dPost, dPre, (long) r0 * h, (long) r1 * h);
                if (i > 0) linears[i].backwardInputRows(dPre, dPost, r0, r1, prepacked);
                else if (wantDx) linears[0].backwardInputRows(dPre, acts.gradInput.segment(), r0, r1, prepacked);
            }
        }
    }

    private final class GradBody implements Pool.RangeBody {
        final AtomicInteger next = new AtomicInteger();
        Activations acts;
        MemorySegment dOut;
        int rows;

        @Override
        public void range(int from, int to) {
            int last = config.layers();
            for (int j; (j = next.getAndIncrement()) < itemLayer.length; ) {
                int i = itemLayer[j];
                MemorySegment x = i == 0 ? acts.input.segment() : acts.post[i - 1].segment();
                MemorySegment dy = i == last ? dOut : acts.dpre[i].segment();
                linears[i].weightGradRows(x, dy, rows, itemW0[j], itemW1[j], itemBias[j]);
            }
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
            Elementwise.siluBackwardGate(acts.gate[i].segment(), acts.post[i].segment(), dPost, dPre, 0, n);
            linears[i].backwardInput(dPre, i == 0 ? acts.gradInput.segment() : dPost, rows);
        }
        int d = config.dim();
        MemorySegment gi = acts.gradInput.segment();
        for (int r = 0; r < rows; r++) MemorySegment.copy(gi, 4L * r * inWidth, dx, 4L * r * d, 4L * d);
    }

    /**
     * Forward mode through the last forward pass: the tangent of the output along the input
     * tangent (ẋ, ṫ, ḣ), i.e. u̇ = ∂u/∂x·ẋ + ∂u/∂t·ṫ + ∂u/∂h·ḣ per row, into {@code out} (rows × D).
     * ẋ is per row (rows × D); ṫ and ḣ are the same for every row (ḣ unused with one time input).
     * Reuses the backward pass's scratch (call it before {@link #backward}); parameters untouched.
     */
    public void jvp(Activations acts, MemorySegment dx, float dt, float dh, MemorySegment out, int rows) {
        if (rows > acts.capacity) throw new IllegalArgumentException(rows + " rows > capacity " + acts.capacity);
        int d = config.dim(), e = embedding.width(), last = config.layers();
        MemorySegment in = acts.input.segment(), tin = acts.gradInput.segment();
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(dx, 4L * r * d, tin, 4L * r * inWidth, 4L * d);
            embedding.jvp(in, dt, tin, r, inWidth, d);
            if (config.timeInputs() == 2) embedding.jvp(in, dh, tin, r, inWidth, d + e);
        }
        long n = (long) rows * config.hidden();
        MemorySegment lin = acts.gradA.segment(), act = acts.gradB.segment();
        MemorySegment h = tin;
        for (int i = 0; i < last; i++) {
            linears[i].jvp(h, lin, rows);                      // ṗre = ḣ_in·W
            ops.siluBackwardGate(acts.gate[i].segment(), acts.post[i].segment(), lin, act, n); // ṗost = silu'(pre)·ṗre (diagonal Jacobian)
            h = act;
        }
        linears[last].jvp(h, out, rows);
    }
}
