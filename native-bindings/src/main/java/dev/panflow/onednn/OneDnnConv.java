package dev.panflow.onednn;

import static dev.panflow.onednn.Dnnl.*;

import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.ConvShape;
import dev.panflow.kernels.NarrowConv;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Convolutions by oneDNN 2.6 on the CPU, reading and writing Panflow's NCHW / KCRS segments in
 * place (oneDNN memory objects wrap their addresses; nothing is copied through the heap).
 * Primitives are made once per shape and cached; a steady-state call only re-points memory
 * objects and executes. Not for concurrent use from several threads (calls are serialised).
 */
public final class OneDnnConv implements ConvKernels {
    /** Where the primitives keep their tensors. */
    public enum Layout {
        /** oneDNN works on NCHW / OIHW directly: no reorders. */
        PLAIN,
        /** oneDNN picks its layouts (e.g. nChw8c, blocked weights); reorders to and from NCHW each call. */
        BLOCKED,
        /**
         * BLOCKED, except PLAIN for inputs of fewer than 4 channels (an image's input layer), where
         * blocking pads the channels to 8 or 16 and the plain path measured as fast or faster.
         */
        AUTO;

        boolean blocked(ConvShape sh) {
            return this == BLOCKED || this == AUTO && sh.c() >= 4;
        }
    }

    private enum Kind { FORWARD, BACKWARD_DATA, BACKWARD_WEIGHTS }
    private record Key(ConvShape shape, Kind kind, boolean bias) {}

    private final Dnnl d;
    private final int threads;
    private final Layout layout;
    private final Arena arena = Arena.ofShared();
    /**
     * Buffers for blocked copies (one per argument position) and the scratchpad (last), shared by
     * all primitives: calls are serialised, so one set, grown to the largest shape, serves them
     * all instead of a set per primitive.
     */
    private final MemorySegment[] shared = new MemorySegment[MAX_SLOTS + 1];
    private final Arena[] sharedArenas = new Arena[MAX_SLOTS + 1];
    private static final int MAX_SLOTS = 4, SCRATCH = MAX_SLOTS;
    private final MemorySegment engine, stream, attr;
    /** Built primitives, one map per (kind, bias) so that a lookup allocates no key. */
    private final List<Map<ConvShape, Op>> ops = List.of(new HashMap<>(), new HashMap<>(), new HashMap<>(),
            new HashMap<>(), new HashMap<>(), new HashMap<>());
    private final Map<ConvShape, MemorySegment> forwardHints = new HashMap<>();
    private final List<Runnable> destroy = new ArrayList<>();
    /**
     * 3×3 layers with at most {@link NarrowConv#MAX_K} output channels (a U-Net's output layer) run
     * on the JVM: blocked layouts pad K to 8 and the plain path is a one-row GEMM (timings in
     * bench/README).
     */
    private final NarrowConv narrow = new NarrowConv();
    private boolean closed;

    /**
     * oneDNN convolutions on {@code threads} OpenMP threads, layouts {@link Layout#AUTO}: with the
     * reorders counted, a training step ran 1.4–4.7× faster in blocked than in plain layouts on
     * U-Net shapes, except a 1-channel input layer (bench/README.md).
     */
    public static OneDnnConv open(int threads) {
        return open(threads, Layout.AUTO);
    }

    /** Opens oneDNN ({@link dev.panflow.UserError} naming the package when it is not installed). */
    public static OneDnnConv open(int threads, Layout layout) {
        if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
        return new OneDnnConv(Dnnl.load(), threads, layout);
    }

    private OneDnnConv(Dnnl d, int threads, Layout layout) {
        this.d = d;
        this.threads = threads;
        this.layout = layout;
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        call(d.engineCreate, "dnnl_engine_create", out, ENGINE_CPU, 0L);
        engine = out.get(ValueLayout.ADDRESS, 0);
        destroy.add(() -> call(d.engineDestroy, "dnnl_engine_destroy", engine));
        call(d.streamCreate, "dnnl_stream_create", out, engine, STREAM_DEFAULT_FLAGS);
        stream = out.get(ValueLayout.ADDRESS, 0);
        destroy.add(() -> call(d.streamDestroy, "dnnl_stream_destroy", stream));
        // Scratchpads are ours (allocated once per primitive), not the library's per-call buffers.
        call(d.attrCreate, "dnnl_primitive_attr_create", out);
        attr = out.get(ValueLayout.ADDRESS, 0);
        destroy.add(() -> call(d.attrDestroy, "dnnl_primitive_attr_destroy", attr));
        call(d.attrSetScratchpadMode, "dnnl_primitive_attr_set_scratchpad_mode", attr, SCRATCHPAD_MODE_USER);
    }

    @Override
    public String name() {
        return "onednn";
    }

    public Layout layout() {
        return layout;
    }

    /** oneDNN's implementation name for {@code sh}'s forward pass, e.g. "jit:avx2", or "jvm:narrow" (for benchmarks). */
    public synchronized String implementation(ConvShape sh) {
        if (narrow(sh)) return narrow.name();
        return op(sh, Kind.FORWARD, false).impl;
    }

    /** Primitives built so far (tests check that a repeated shape builds none). */
    synchronized int cachedOps() {
        return ops.stream().mapToInt(Map::size).sum();
    }

    @Override
    public synchronized void forward(ConvShape sh, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y) {
        if (narrow(sh)) {
            narrow.forward(sh, x, w, bias, y);
            return;
        }
        boolean hasBias = !MemorySegment.NULL.equals(bias);
        Op op = op(sh, Kind.FORWARD, hasBias);
        op.bind(0, x, 4 * sh.xSize(), "x");
        op.bind(1, w, 4 * sh.wSize(), "w");
        op.bind(2, y, 4 * sh.ySize(), "y");
        if (hasBias) op.bind(3, bias, 4L * sh.k(), "bias");
        op.run();
    }

    @Override
    public synchronized void backwardData(ConvShape sh, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        if (narrow(sh)) {
            narrow.backwardData(sh, dy, w, dx);
            return;
        }
        Op op = op(sh, Kind.BACKWARD_DATA, false);
        op.bind(0, dy, 4 * sh.ySize(), "dy");
        op.bind(1, w, 4 * sh.wSize(), "w");
        op.bind(2, dx, 4 * sh.xSize(), "dx");
        op.run();
    }

    @Override
    public synchronized void backwardWeights(ConvShape sh, MemorySegment x, MemorySegment dy, MemorySegment dw, MemorySegment db) {
        if (narrow(sh)) {
            narrow.backwardWeights(sh, x, dy, dw, db);
            return;
        }
        boolean hasBias = !MemorySegment.NULL.equals(db);
        Op op = op(sh, Kind.BACKWARD_WEIGHTS, hasBias);
        op.bind(0, x, 4 * sh.xSize(), "x");
        op.bind(1, dy, 4 * sh.ySize(), "dy");
        op.bind(2, dw, 4 * sh.wSize(), "dw");
        if (hasBias) op.bind(3, db, 4L * sh.k(), "db");
        op.run();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        narrow.close();
        for (int i = destroy.size() - 1; i >= 0; i--) destroy.get(i).run();
        destroy.clear();
        ops.forEach(Map::clear);
        forwardHints.clear();
        for (Arena a : sharedArenas) if (a != null) a.close();
        arena.close();
    }

    /** Whether {@code sh} runs in {@link #narrow} (after the same closed check as the primitives). */
    private boolean narrow(ConvShape sh) {
        if (closed) throw new IllegalStateException("OneDnnConv is closed");
        return NarrowConv.handles(sh);
    }

    // ---- building primitives (once per shape) ----

    private Op op(ConvShape sh, Kind kind, boolean bias) {
        if (closed) throw new IllegalStateException("OneDnnConv is closed");
        Map<ConvShape, Op> m = ops.get(2 * kind.ordinal() + (bias ? 1 : 0));
        Op op = m.get(sh);
        if (op == null) {
            op = build(new Key(sh, kind, bias));
            m.put(sh, op);
        }
        return op;
    }

    private Op build(Key key) {
        ConvShape sh = key.shape();
        MemorySegment xPlain = md(sh, 'x', false), wPlain = md(sh, 'w', false), yPlain = md(sh, 'y', false);
        MemorySegment bPlain = key.bias() ? md(sh, 'b', false) : MemorySegment.NULL;
        boolean any = layout.blocked(sh);
        MemorySegment x = any ? md(sh, 'x', true) : xPlain, w = any ? md(sh, 'w', true) : wPlain,
                y = any ? md(sh, 'y', true) : yPlain;
        MemorySegment cd = arena.allocate(CONV_DESC_BYTES, 8);
        MemorySegment strides = dims(sh.stride(), sh.stride()), pad = dims(sh.pad(), sh.pad());
        return switch (key.kind()) {
            case FORWARD -> {
                call(d.convForwardDescInit, "dnnl_convolution_forward_desc_init", cd, FORWARD_TRAINING,
                        CONVOLUTION_DIRECT, x, w, bPlain, y, strides, pad, pad);
                MemorySegment pd = primitiveDesc(cd, MemorySegment.NULL, "convolution forward");
                var op = new Op(pd, "forward",
                        new Slot(ARG_SRC, QUERY_SRC_MD, xPlain, false),
                        new Slot(ARG_WEIGHTS, QUERY_WEIGHTS_MD, wPlain, false),
                        new Slot(ARG_DST, QUERY_DST_MD, yPlain, true),
                        key.bias() ? new Slot(ARG_BIAS, -1, bPlain, false) : null);
                destroyPd(pd);
                yield op;
            }
            case BACKWARD_DATA -> {
                call(d.convBackwardDataDescInit, "dnnl_convolution_backward_data_desc_init", cd,
                        CONVOLUTION_DIRECT, x, w, y, strides, pad, pad);
                MemorySegment pd = primitiveDesc(cd, forwardHint(sh, x, w, y), "convolution backward data");
                var op = new Op(pd, "backward data",
                        new Slot(ARG_DIFF_DST, QUERY_DIFF_DST_MD, yPlain, false),
                        new Slot(ARG_WEIGHTS, QUERY_WEIGHTS_MD, wPlain, false),
                        new Slot(ARG_DIFF_SRC, QUERY_DIFF_SRC_MD, xPlain, true),
                        null);
                destroyPd(pd);
                yield op;
            }
            case BACKWARD_WEIGHTS -> {
                call(d.convBackwardWeightsDescInit, "dnnl_convolution_backward_weights_desc_init", cd,
                        CONVOLUTION_DIRECT, x, w, bPlain, y, strides, pad, pad);
                MemorySegment pd = primitiveDesc(cd, forwardHint(sh, x, w, y), "convolution backward weights");
                var op = new Op(pd, "backward weights",
                        new Slot(ARG_SRC, QUERY_SRC_MD, xPlain, false),
                        new Slot(ARG_DIFF_DST, QUERY_DIFF_DST_MD, yPlain, false),
                        new Slot(ARG_DIFF_WEIGHTS, QUERY_DIFF_WEIGHTS_MD, wPlain, true),
                        key.bias() ? new Slot(ARG_DIFF_BIAS, -1, bPlain, true) : null);
                destroyPd(pd);
                yield op;
            }
        };
    }

    /** The forward-training primitive descriptor the backward ones are told to match (kept until close). */
    private MemorySegment forwardHint(ConvShape sh, MemorySegment x, MemorySegment w, MemorySegment y) {
        MemorySegment pd = forwardHints.get(sh);
        if (pd == null) {
            MemorySegment cd = arena.allocate(CONV_DESC_BYTES, 8);
            call(d.convForwardDescInit, "dnnl_convolution_forward_desc_init", cd, FORWARD_TRAINING, CONVOLUTION_DIRECT,
                    x, w, MemorySegment.NULL, y, dims(sh.stride(), sh.stride()), dims(sh.pad(), sh.pad()),
                    dims(sh.pad(), sh.pad()));
            pd = primitiveDesc(cd, MemorySegment.NULL, "convolution forward (hint)");
            forwardHints.put(sh, pd);
            MemorySegment hint = pd;
            destroy.add(() -> call(d.primitiveDescDestroy, "dnnl_primitive_desc_destroy", hint));
        }
        return pd;
    }

    private MemorySegment primitiveDesc(MemorySegment opDesc, MemorySegment hint, String what) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        call(d.primitiveDescCreate, "dnnl_primitive_desc_create(" + what + ")", out, opDesc, attr, engine, hint);
        return out.get(ValueLayout.ADDRESS, 0);
    }

    private void destroyPd(MemorySegment pd) {
        call(d.primitiveDescDestroy, "dnnl_primitive_desc_destroy", pd);
    }

    /** A memory descriptor for tensor x, w, y or b of {@code sh}; {@code any} lets the primitive choose the layout. */
    private MemorySegment md(ConvShape sh, char which, boolean any) {
        MemorySegment md = arena.allocate(MEMORY_DESC_BYTES, 8);
        long[] dims = switch (which) {
            case 'x' -> new long[] {sh.n(), sh.c(), sh.h(), sh.w()};
            case 'w' -> new long[] {sh.k(), sh.c(), sh.r(), sh.s()};
            case 'y' -> new long[] {sh.n(), sh.k(), sh.outH(), sh.outW()};
            default -> new long[] {sh.k()};
        };
        int tag = any ? TAG_ANY : which == 'b' ? TAG_X : which == 'w' ? TAG_OIHW : TAG_NCHW;
        call(d.memoryDescInitByTag, "dnnl_memory_desc_init_by_tag", md, dims.length, dims(dims), F32, tag);
        return md;
    }

    private MemorySegment dims(long... v) {
        MemorySegment s = arena.allocate(8L * MAX_NDIMS, 8);
        for (int i = 0; i < v.length; i++) s.setAtIndex(ValueLayout.JAVA_LONG, i, v[i]);
        return s;
    }

    private MemorySegment memory(MemorySegment md, MemorySegment data) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        call(d.memoryCreate, "dnnl_memory_create", out, md, engine, data);
        MemorySegment mem = out.get(ValueLayout.ADDRESS, 0);
        destroy.add(() -> call(d.memoryDestroy, "dnnl_memory_destroy", mem));
        return mem;
    }

    private MemorySegment primitive(MemorySegment pd) {
        MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
        call(d.primitiveCreate, "dnnl_primitive_create", out, pd);
        MemorySegment p = out.get(ValueLayout.ADDRESS, 0);
        destroy.add(() -> call(d.primitiveDestroy, "dnnl_primitive_destroy", p));
        return p;
    }

    private MemorySegment queryMd(MemorySegment pd, int query) {
        MemorySegment md = (MemorySegment) value(d.primitiveDescQueryMd, pd, query, 0);
        return md.reinterpret(MEMORY_DESC_BYTES);
    }

    /** Grows shared buffer {@code i} to at least {@code bytes} (no call is in flight while building). */
    private void reserve(int i, long bytes) {
        if (shared[i] != null && shared[i].byteSize() >= bytes) return;
        if (sharedArenas[i] != null) sharedArenas[i].close();
        sharedArenas[i] = Arena.ofShared();
        shared[i] = sharedArenas[i].allocate(bytes, 64);
    }

    private long size(MemorySegment md) {
        return (long) value(d.memoryDescGetSize, md);
    }

    private static MemorySegment execArgs(Arena arena, int n) {
        return arena.allocate(EXEC_ARG_BYTES * n, 8);
    }

    private static void setArg(MemorySegment args, int i, int arg, MemorySegment memory) {
        args.set(ValueLayout.JAVA_INT, EXEC_ARG_BYTES * i, arg);
        args.set(ValueLayout.ADDRESS, EXEC_ARG_BYTES * i + EXEC_ARG_MEMORY_OFFSET, memory);
    }

    /** One tensor argument: its oneDNN arg id, the pd query giving the layout the primitive wants (-1: plain), the plain layout, direction. */
    private record Slot(int arg, int query, MemorySegment plainMd, boolean output) {}

    /** A primitive with its memory objects, reorders and scratchpad. */
    private final class Op {
        final String what, impl;
        final MemorySegment primitive, args;
        final int nargs;
        final MemorySegment[] user;          // memory objects over the caller's segments, per slot
        final MemorySegment[] internal;      // memory objects over the shared buffers, null when not needed (per slot, then scratchpad)
        final MemorySegment[] reorder, reorderArgs; // per slot, null when the primitive takes the plain layout
        final boolean[] output;

        Op(MemorySegment pd, String what, Slot... slotsWithNull) {
            this.what = what;
            List<Slot> slots = new ArrayList<>();
            for (Slot s : slotsWithNull) if (s != null) slots.add(s);
            int n = slots.size();
            if (n > MAX_SLOTS) throw new IllegalStateException("more than " + MAX_SLOTS + " tensor arguments");
            user = new MemorySegment[n];
            reorder = new MemorySegment[n];
            reorderArgs = new MemorySegment[n];
            output = new boolean[n];
            internal = new MemorySegment[MAX_SLOTS + 1];
            MemorySegment scratchMd = queryMd(pd, QUERY_SCRATCHPAD_MD);
            long scratchBytes = scratchMd.address() == 0 ? 0 : size(scratchMd);
            nargs = n + (scratchBytes > 0 ? 1 : 0);
            args = execArgs(arena, nargs);
            for (int i = 0; i < n; i++) {
                Slot s = slots.get(i);
                output[i] = s.output();
                user[i] = memory(s.plainMd(), MemorySegment.NULL);
                MemorySegment wanted = s.query() < 0 ? s.plainMd() : queryMd(pd, s.query());
                MemorySegment argMemory = user[i];
                if ((int) value(d.memoryDescEqual, wanted, s.plainMd()) == 0) {
                    reserve(i, size(wanted));
                    argMemory = internal[i] = memory(wanted, MemorySegment.NULL);
                    MemorySegment from = s.output() ? wanted : s.plainMd(), to = s.output() ? s.plainMd() : wanted;
                    MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
                    call(d.reorderPrimitiveDescCreate, "dnnl_reorder_primitive_desc_create", out, from, engine, to, engine,
                            MemorySegment.NULL);
                    MemorySegment rpd = out.get(ValueLayout.ADDRESS, 0);
                    reorder[i] = primitive(rpd);
                    destroyPd(rpd);
                    reorderArgs[i] = execArgs(arena, 2);
                    setArg(reorderArgs[i], 0, ARG_FROM, s.output() ? argMemory : user[i]);
                    setArg(reorderArgs[i], 1, ARG_TO, s.output() ? user[i] : argMemory);
                }
                setArg(args, i, s.arg(), argMemory);
            }
            if (scratchBytes > 0) {
                reserve(SCRATCH, scratchBytes);
                setArg(args, n, ARG_SCRATCHPAD, internal[SCRATCH] = memory(scratchMd, MemorySegment.NULL));
            }
            MemorySegment implOut = arena.allocate(ValueLayout.ADDRESS);
            call(d.primitiveDescQuery, "dnnl_primitive_desc_query(impl_info_str)", pd, QUERY_IMPL_INFO_STR, 0, implOut);
            impl = implOut.get(ValueLayout.ADDRESS, 0).reinterpret(256).getString(0);
            primitive = primitive(pd);
        }

        void bind(int slot, MemorySegment data, long bytes, String name) {
            if (!data.isNative())
                throw new IllegalArgumentException("oneDNN needs off-heap memory for " + name);
            if (data.byteSize() < bytes)
                throw new IllegalArgumentException(name + " holds " + data.byteSize() + " bytes, needs " + bytes);
            d.setDataHandle(user[slot], data);
        }

        void run() {
            d.setThreads(threads);
            for (int i = 0; i <= MAX_SLOTS; i++) if (internal[i] != null) d.setDataHandle(internal[i], shared[i]);
            int n = user.length;
            for (int i = 0; i < n; i++)
                if (reorder[i] != null && !output[i]) d.execute(reorder[i], stream, 2, reorderArgs[i], "reorder");
            d.execute(primitive, stream, nargs, args, what);
            for (int i = 0; i < n; i++)
                if (reorder[i] != null && output[i]) d.execute(reorder[i], stream, 2, reorderArgs[i], "reorder");
            d.waitFor(stream);
        }
    }
}
