package dev.panflow.api;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.backend.Backend;
import dev.panflow.backend.BackendOptions;
import dev.panflow.backend.Backends;
import dev.panflow.dist.Collective;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.FlowModel;
import dev.panflow.nn.Mlp;
import dev.panflow.nn.MlpModel;
import dev.panflow.nn.UNet;
import dev.panflow.ode.Dopri5PerPoint;
import dev.panflow.ode.LogLikelihood;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.SolveListener;
import dev.panflow.ode.VjpField;
import dev.panflow.path.AffinePath;
import dev.panflow.path.Paths;
import dev.panflow.sampling.FlowSampler;
import dev.panflow.sampling.Sampler;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import dev.panflow.train.Checkpoint;
import dev.panflow.train.MemoryBudget;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingDeque;

/**
 * A trained flow loaded from a checkpoint written by {@code panflow train} or {@link Trainer}:
 * an MLP or a U-Net, with its EMA weights unless asked otherwise.
 *
 * <pre>{@code
 * try (Flow flow = Flow.load(Path.of("model.safetensors"))) {
 *     float[][] x = flow.sample(SampleRequest.of(1000).solver("rk4").steps(25).seed(42));
 *     double[] logp = flow.logLikelihood(x);
 * }
 * }</pre>
 *
 * <p><b>Thread safety.</b> One {@code Flow} serves concurrent {@link #sample} and
 * {@link #logLikelihood} calls from any number of threads. Each running call takes a replica of
 * the network (the weights copied once, its own buffers and kernel threads) for the time of the
 * call; at most {@link LoadOptions#maxConcurrentCalls()} replicas are made, and further calls wait
 * for one. A call's result depends only on the model, the request and its seed: not on other
 * calls, on how they interleave, or on the thread count. {@link #close()} waits for running calls.
 *
 * <p>In a data-parallel job ({@link LoadOptions#collective}) one call runs at a time, every rank
 * must make the same calls in the same order, and only rank 0 gets the points (the other ranks'
 * {@link #sampleWithStats} returns null).
 */
public final class Flow implements AutoCloseable {
    private final Object source; // the file, or the pretrained model's name, for messages
    private final Arena arena = Arena.ofShared(); // the checkpoint's tensors, copied into each replica
    private final Checkpoint.Model meta;
    private final AffinePath path;
    private final Backend backend;
    private final LoadOptions options;
    private final ModelInfo info;
    private final LinkedBlockingDeque<Replica> idle = new LinkedBlockingDeque<>();
    private final List<Replica> made = new ArrayList<>();
    private boolean closed;

    private Flow(Object source, Path file, java.util.function.Function<Arena, Checkpoint.Model> reader, LoadOptions options) {
        VectorApi.require();
        this.source = source;
        this.options = options;
        this.backend = Backends.byName(options.backend());
        try {
            this.meta = reader.apply(arena);
            this.path = Paths.byName(meta.config().path());
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        this.info = new ModelInfo(meta.spec().kind(), meta.dim(), meta.imageShape(), meta.classes(), meta.step(),
                meta.config().path(), meta.config().data(), meta.ema(), file);
        try {
            release(replica()); // build one now: a checkpoint whose weights do not fit the model fails here, not on first use
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Loads a checkpoint with {@link LoadOptions#defaults()}. */
    public static Flow load(Path file) { return load(file, LoadOptions.defaults()); }

    public static Flow load(Path file, LoadOptions options) {
        if (!Files.isRegularFile(file)) throw new UserError("no model file at " + file);
        return new Flow(file, file, a -> Checkpoint.readModel(file, a, options.ema()), options);
    }

    /**
     * Loads a checkpoint that ships with Panflow ({@link Pretrained}: "checkerboard",
     * "fashion-mnist") from the class path, after checking its SHA-256; no training needed.
     * Its {@link ModelInfo#file()} is null.
     */
    public static Flow loadPretrained(String name) { return loadPretrained(name, LoadOptions.defaults()); }

    public static Flow loadPretrained(String name, LoadOptions options) {
        Pretrained p = Pretrained.byName(name);
        byte[] bytes = p.verifiedBytes();
        String label = "pretrained model " + p.id();
        return new Flow(label, null,
                a -> Checkpoint.readModel(dev.panflow.io.Safetensors.read(label, bytes, a), label, options.ema()), options);
    }

    public ModelInfo info() { return info; }

    /**
     * The training objective: "cfm" (a velocity field, any solver), or "meanflow" / "shortcut"
     * (few-step models: {@link #sample} takes the request's steps as jumps
     * x ← x + h·u(x, t, h) with solver euler; shortcut models take powers of two).
     */
    public String objective() { return meta.objective().id; }

    /** n points as rows of {@code dim} floats. */
    public float[][] sample(SampleRequest request) { return sampleWithStats(request).rows(); }

    /** n points with the solver's NFE and the solve time. */
    public Samples sampleWithStats(SampleRequest request) { return sampleWithStats(request, SampleListener.NONE); }

    /** The same samples, {@code listener} hearing the solve between its steps (for a progress bar). */
    public Samples sampleWithStats(SampleRequest request, SampleListener listener) {
        long floats = (long) request.n() * meta.dim();
        if (floats > Integer.MAX_VALUE - 16)
            throw new InvalidParameterException("n " + request.n() + " × dim " + meta.dim() + " floats do not fit a Java array; use sampleInto", "n");
        float[] out = new float[(int) floats];
        Samples[] result = new Samples[1];
        run(request, listener, (seg, res) -> {
            MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, 0, out, 0, out.length);
            result[0] = Samples.of(out, request, meta.dim(), res);
        });
        return result[0];
    }

    /**
     * n points into {@code out} (at least n × dim floats, row-major); returns the NFE. For
     * outputs larger than a Java array, or to sample straight into native memory.
     */
    public long sampleInto(SampleRequest request, MemorySegment out) { return sampleInto(request, out, SampleListener.NONE); }

    /** The same, {@code listener} hearing the solve between its steps. */
    public long sampleInto(SampleRequest request, MemorySegment out, SampleListener listener) {
        long bytes = 4L * request.n() * meta.dim();
        if (out.byteSize() < bytes)
            throw new InvalidParameterException("out holds " + out.byteSize() + " bytes; " + request.n() + " samples need " + bytes, "out");
        long[] nfe = new long[1];
        run(request, listener, (seg, res) -> {
            MemorySegment.copy(seg, 0, out, 0, bytes);
            nfe[0] = res.stats().nfe();
        });
        return nfe[0];
    }

    private interface SampleSink { void accept(MemorySegment samples, Sampler.Result result); }

    private void run(SampleRequest req, SampleListener listener, SampleSink sink) {
        int[] labels = labels(req, meta.classes(), source);
        if (!meta.spec().isUnet())
            MemoryBudget.check(MemoryBudget.samplingBytes(meta.mlpConfig(), req.n()), "n " + req.n() + " samples of this model", "n");
        Replica r = acquire();
        try (Workspace ws = new Workspace()) {
            int n = req.n();
            // Rank 0 reports its block's share as the share of all n points (the ranks' blocks are alike).
            SolveListener heard = listener == SampleListener.NONE || !options.collective().isRoot() ? SolveListener.NONE
                    : (done, nfe) -> listener.onProgress(Math.min(n, (long) (done * n)), n, nfe);
            Sampler.Result res = r.sampler.sample(path, req.solverSpec(), n, req.seed(), labels, req.guidance(), ws, heard);
            if (options.collective().isRoot()) sink.accept(res.samples().segment(), res);
        } finally {
            release(r);
        }
    }

    /**
     * Several requests in one solve, as a server's dynamic batching needs: each request's noise
     * from its own seed, all rows integrated together. The requests must be
     * {@link SampleRequest#batchableWith batchable} with each other (a fixed-step solver or
     * dopri5-point, the same settings and guidance weight); each result is then exactly what
     * {@link #sampleWithStats} gives for that request alone (rows are independent), dopri5-point's
     * NFE and step counts too (its own points'); only {@code seconds} is the whole batch's. The
     * JVM backends only: a device backend samples them one by one.
     */
    public List<Samples> sampleBatch(List<SampleRequest> requests) {
        if (requests.isEmpty()) return List.of();
        SampleRequest first = requests.get(0);
        if (!first.solver().rowsIndependent())
            throw new UserError("sampleBatch needs a fixed-step solver or dopri5-point (dopri5 adapts its steps to the whole batch)");
        long total = 0;
        for (SampleRequest r : requests) {
            if (!first.batchableWith(r))
                throw new UserError("sampleBatch needs requests with the same solver, its settings and guidance");
            total += r.n();
        }
        int dim = meta.dim();
        if (total > SampleRequest.MAX_POINTS || total * dim > Integer.MAX_VALUE - 16)
            throw new UserError("a batch of " + total + " points is too large");
        if (meta.objective().fewStep() || backend.runsMlp() && !meta.spec().isUnet()) { // one by one: a few-step jump, or the device MLP
            List<Samples> out = new ArrayList<>();
            for (SampleRequest r : requests) out.add(sampleWithStats(r));
            return out;
        }
        int n = (int) total;
        if (!meta.spec().isUnet())
            MemoryBudget.check(MemoryBudget.samplingBytes(meta.mlpConfig(), n), "a batch of " + n + " samples of this model");
        int[] labels = null;
        if (meta.classes() > 0) labels = new int[n];
        Replica rep = acquire();
        try (Workspace ws = new Workspace(); OdeSolver ode = first.solverSpec().open()) {
            Tensor x = ws.tensor(n, dim);
            int row = 0;
            for (SampleRequest r : requests) {
                int[] l = labels(r, meta.classes(), source);
                if (l != null) System.arraycopy(l, 0, labels, row, r.n());
                new Rng(r.seed()).fillGaussian(x.segment().asSlice(4L * row * dim), (long) r.n() * dim, path.noiseStd());
                row += r.n();
            }
            Sampler.Result res = Sampler.solve(rep.model, path, ode, x, ws, labels, first.guidance(), Collective.SINGLE);
            List<Samples> out = new ArrayList<>(requests.size());
            row = 0;
            for (SampleRequest r : requests) {
                float[] v = new float[r.n() * dim];
                MemorySegment.copy(x.segment(), ValueLayout.JAVA_FLOAT, 4L * row * dim, v, 0, v.length);
                Sampler.Result own = ode instanceof Dopri5PerPoint pp ? new Sampler.Result(res.samples(), pp.statsOf(row, r.n()), res.seconds()) : res;
                out.add(Samples.of(v, r, dim, own));
                row += r.n();
            }
            return out;
        } finally {
            release(rep);
        }
    }

    /** Per-sample labels: none for an unconditional model; the request's class, or class r mod classes. */
    static int[] labels(SampleRequest req, int classes, Object model) {
        if (classes == 0) {
            if (req.classLabel() != null || req.guidance() != 0)
                throw new InvalidParameterException(model + " is an unconditional model; classLabel and guidance need a class-conditional one", "classLabel", "guidance");
            return null;
        }
        if (req.classLabel() != null && req.classLabel() >= classes)
            throw InvalidParameterException.range("classLabel", 0, classes - 1, req.classLabel());
        int[] l = new int[req.n()];
        for (int i = 0; i < l.length; i++) l[i] = req.classLabel() != null ? req.classLabel() : i % classes;
        return l;
    }

    /** log p(x) in nats for each row of points, with {@link LikelihoodRequest#defaults()}. */
    public double[] logLikelihood(float[][] points) { return logLikelihood(points, LikelihoodRequest.defaults()); }

    /**
     * log p(x) in nats for each row x of points (in the model's space: images as dequantized
     * values in [−1, 1]); a class-conditional model's unconditional (null-class) density.
     */
    public double[] logLikelihood(float[][] points, LikelihoodRequest req) {
        return logLikelihoodWithStats(points, req).logp();
    }

    /** The same, with the solves' NFE and time. */
    public Likelihoods logLikelihoodWithStats(float[][] points, LikelihoodRequest req) {
        int dim = meta.dim();
        if (points.length == 0) throw new InvalidParameterException("points is empty", "points");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(4L * points.length * dim, 64);
            for (int r = 0; r < points.length; r++) {
                float[] p = points[r];
                if (p == null || p.length != dim)
                    throw new InvalidParameterException("points row " + r + " has " + (p == null ? 0 : p.length) + " values; the model has dim " + dim, "points");
                MemorySegment.copy(p, 0, seg, ValueLayout.JAVA_FLOAT, 4L * r * dim, dim);
            }
            return logLikelihoodWithStats(seg, points.length, req, LikelihoodListener.NONE);
        }
    }

    /** The same for {@code rows} points stored row-major in {@code points}. */
    public double[] logLikelihood(MemorySegment points, int rows, LikelihoodRequest req) {
        return logLikelihoodWithStats(points, rows, req, LikelihoodListener.NONE).logp();
    }

    /** The same, with the solves' NFE and time; {@code listener} hears each solve. */
    public Likelihoods logLikelihoodWithStats(MemorySegment points, int rows, LikelihoodRequest req, LikelihoodListener listener) {
        refuseFewStep("log-likelihoods integrate the velocity field of a cfm model");
        int dim = meta.dim();
        if (rows < 1) throw InvalidParameterException.atLeast("rows", 1, rows);
        if (points.byteSize() < 4L * rows * dim)
            throw new InvalidParameterException("points hold fewer than " + rows + " rows of " + dim + " floats", "points", "rows");
        for (long i = 0; i < (long) rows * dim; i++) { // a NaN would surface as a solver failure far from its cause
            float v = points.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            if (!Float.isFinite(v)) throw new InvalidParameterException("points row " + i / dim + ", column " + i % dim + " is " + v, "points");
        }
        int b = Math.min(req.batch(), rows);
        double[] all = new double[rows];
        long nfe = 0, pointEvals = 0, nfeMax = 0;
        int solves = 0, unfinished = 0;
        long start = System.nanoTime();
        Replica r = acquire();
        try (Workspace ws = new Workspace(); OdeSolver ode = req.solverSpec().open()) {
            // the MLP's pass takes up to 4096 rows, a U-Net's 64 (vjp needs the whole solve batch in one pass)
            VjpField field = r.model.field(ws, Math.min(b, chunkRows()), null, 0f);
            MemorySegment xs = ws.tensor(b, dim).segment();
            try (LogLikelihood ll = new LogLikelihood(field, req.divergenceFor(dim), b)) {
                for (int r0 = 0; r0 < rows; r0 += b) {
                    int m = Math.min(b, rows - r0);
                    MemorySegment.copy(points, 4L * r0 * dim, xs, 0, 4L * m * dim);
                    LogLikelihood.Result res = ll.compute(xs, m, path.tMax(), path.noiseStd(), ode, solves++);
                    System.arraycopy(res.logp(), 0, all, r0, m);
                    nfe += res.stats().nfe();
                    pointEvals += res.stats().pointEvaluations(m);
                    nfeMax = Math.max(nfeMax, res.stats().nfeMaxPerPoint());
                    unfinished += res.stats().unfinishedPoints();
                    listener.onSolve(r0 + m, rows, res.stats().nfe());
                }
            }
        } finally {
            release(r);
        }
        return new Likelihoods(all, nfe, solves, b, (System.nanoTime() - start) * 1e-9, pointEvals, nfeMax, unfinished);
    }

    /** Rows per network pass outside the sampler: up to 4096 for an MLP, 64 for a U-Net. */
    private int chunkRows() { return meta.spec().isUnet() ? Sampler.IMAGE_CHUNK : Sampler.CHUNK_ROWS; }

    /**
     * The request's points at t = f·t_max for each fraction f of {@code fractions} (ascending, in
     * [0, 1]), from the same noise as {@link #sample}; the request's solver, with its steps, runs
     * over each stretch between consecutive times. One array of n × dim floats per fraction.
     */
    public List<float[]> trajectory(SampleRequest req, double... fractions) {
        refuseFewStep("trajectories follow the ODE of a cfm model");
        int[] labels = labels(req, meta.classes(), source);
        int n = req.n(), dim = meta.dim();
        if (4L * n * dim > Integer.MAX_VALUE - 16) throw new UserError("n " + n + " × dim " + dim + " floats do not fit a Java array");
        List<float[]> out = new ArrayList<>();
        Replica r = acquire();
        try (Workspace ws = new Workspace()) {
            MemorySegment x = ws.tensor(n, dim).segment();
            new Rng(req.seed()).fillGaussian(x, (long) n * dim, path.noiseStd()); // the sampler's noise
            VjpField field = r.model.field(ws, Math.min(n, chunkRows()), labels, req.guidance());
            float prev = 0;
            for (double f : fractions) {
                if (!(f >= 0 && f <= 1)) throw new UserError("fractions must be in [0, 1], got " + f);
                float t = (float) (f * path.tMax());
                if (t < prev) throw new UserError("fractions must be ascending");
                if (t > prev) try (OdeSolver ode = req.solverSpec().open()) {
                    ode.solve(field, x, n, prev, t);
                }
                prev = t;
                float[] copy = new float[n * dim];
                MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, 0, copy, 0, copy.length);
                out.add(copy);
            }
        } finally {
            release(r);
        }
        return out;
    }

    /** A few-step model has no velocity field to integrate: one line saying so. */
    private void refuseFewStep(String why) {
        if (meta.objective().fewStep())
            throw new UserError(source + " is a " + meta.objective().id + " model (a few-step jump u(x, t, h), not a velocity field); " + why);
    }

    /** A network ready for one call: weights, buffers, kernel threads and sampler of its own. */
    private final class Replica implements AutoCloseable {
        final Pool pool = new Pool(options.threads());
        final Workspace ws = new Workspace();
        final ConvKernels conv;
        final FlowModel model;
        final FlowSampler sampler;

        Replica() {
            try {
                BackendOptions bo = new BackendOptions(options.libraryDir());
                if (meta.spec().isUnet()) {
                    int[] s = meta.imageShape();
                    conv = backend.convolutions(pool, bo);
                    UNet net = new UNet(meta.unetConfig(), conv, pool, ws);
                    Checkpoint.loadWeights(net.params(), meta.weights(), source);
                    model = net;
                    sampler = meta.objective().fewStep() ? fewStepSampler(net, meta.objective(), options.collective())
                            : Sampler.onJvm(net, options.collective());
                } else {
                    conv = null;
                    Mlp mlp = new Mlp(meta.mlpConfig(), pool, ws, backend.denseGemm(pool, bo));
                    Checkpoint.loadWeights(mlp.params(), meta.weights(), source);
                    model = new MlpModel(mlp, ws);
                    sampler = meta.objective().fewStep() ? fewStepSampler(mlp, meta.objective(), options.collective())
                            : backend.mlpSampler(mlp, options.collective(), bo);
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public void close() {
            if (sampler != null) sampler.close();
            if (conv != null) conv.close();
            ws.close();
            pool.close();
        }
    }

    /** The few-step rule on the JVM (one process), whatever the backend. */
    static FlowSampler fewStepSampler(Mlp mlp, dev.panflow.train.Objective o, Collective c) {
        if (c.size() > 1) throw new InvalidParameterException("a " + o.id + " model samples in one process (not data-parallel) for now", "collective");
        return new dev.panflow.sampling.FewStepSampler(mlp, o.id, o == dev.panflow.train.Objective.SHORTCUT);
    }

    /** The same for a U-Net (meanflow). */
    static FlowSampler fewStepSampler(UNet net, dev.panflow.train.Objective o, Collective c) {
        if (c.size() > 1) throw new InvalidParameterException("a " + o.id + " model samples in one process (not data-parallel) for now", "collective");
        return new dev.panflow.sampling.FewStepSampler(net, o.id, o == dev.panflow.train.Objective.SHORTCUT);
    }

    private Replica acquire() {
        synchronized (this) {
            if (closed) throw new IllegalStateException("this Flow is closed");
            Replica r = idle.pollFirst();
            if (r != null) return r;
            if (made.size() < options.maxConcurrentCalls()) return replica();
        }
        try {
            return idle.takeFirst();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a free replica of the model", e);
        }
    }

    /** Makes a replica (the caller holds the monitor). */
    private Replica replica() {
        Replica r = new Replica();
        made.add(r);
        return r;
    }

    private void release(Replica r) { idle.addFirst(r); }

    /** Frees the weights and every replica, after waiting for the calls that hold one. */
    @Override
    public void close() {
        List<Replica> all;
        synchronized (this) {
            if (closed) return;
            closed = true;
            all = List.copyOf(made);
        }
        for (int i = 0; i < all.size(); i++) {
            try {
                idle.takeFirst().close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        arena.close();
    }
}
