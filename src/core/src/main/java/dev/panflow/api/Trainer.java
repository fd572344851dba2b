package dev.panflow.api;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.backend.Backend;
import dev.panflow.backend.BackendOptions;
import dev.panflow.backend.Backends;
import dev.panflow.coupling.Coupling;
import dev.panflow.coupling.SinkhornCoupling;
import dev.panflow.dist.Collective;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.UNetConfig;
import dev.panflow.path.AffinePath;
import dev.panflow.path.Paths;
import dev.panflow.sampling.FlowSampler;
import dev.panflow.sampling.Sampler;
import dev.panflow.tensor.Workspace;
import dev.panflow.train.CfmTrainer;
import dev.panflow.train.Checkpoint;
import dev.panflow.train.LrSchedule;
import dev.panflow.train.MemoryBudget;
import dev.panflow.train.ModelSpec;
import dev.panflow.train.Objective;
import dev.panflow.train.StepEngine;
import dev.panflow.train.TimeBudget;
import dev.panflow.train.TimeSampling;
import dev.panflow.train.TrainConfig;
import dev.panflow.train.TrainingDiverged;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Conditional Flow Matching training: a network (an MLP, or a U-Net for images) learns the
 * velocity field of a probability path from noise (t = 0) to the data (t = 1). Every buffer is
 * made when the trainer is built, so the steps of {@link #run} allocate nothing. With an output
 * folder the checkpoint {@code model.safetensors} is rewritten atomically every
 * {@code checkpointEvery} steps, at the end and when a stop is requested, and {@code resume}
 * continues a run from it bit for bit.
 *
 * <pre>{@code
 * try (Trainer t = Trainer.builder().data(DataSets.builtIn("checkerboard")).path("ot").mlp(256, 3)
 *         .steps(3000).seed(0).out(Path.of("runs/cb")).build()) {
 *     TrainResult r = t.run(ProgressListener.NONE);
 * }
 * }</pre>
 *
 * Not thread-safe: one thread runs it; {@link #requestStop()} may be called from any thread.
 */
public final class Trainer implements AutoCloseable {
    private final TrainingData data;
    private final Collective coll;
    private final Pool pool;
    private final ConvKernels conv;
    private final CfmTrainer tr;
    private final StepEngine engine;
    private final Path checkpoint; // null: no output folder
    private final long resumedAt;   // −1 unless resumed
    private final long totalSteps;
    private final String model;
    private final Duration timeBudget; // null: none
    private final LongSupplier clock;  // nanoseconds: System::nanoTime, or a test's
    private boolean emaSwapped;
    private double resumedSmoothedLoss = Double.NaN; // NaN: the average starts from the first step's loss

    private Trainer(Builder b) {
        if (b.data == null) throw new InvalidParameterException("data must be given (DataSets.builtIn, file or of)", "data");
        this.data = b.data;
        this.totalSteps = b.steps;
        this.coll = b.collective;
        this.timeBudget = b.timeBudget;
        this.clock = b.clock;
        if (timeBudget != null && coll.size() > 1)
            throw new InvalidParameterException("timeBudget is not supported in a data-parallel job yet (the ranks' clocks would have to agree on the last step)", "timeBudget");
        dev.panflow.nn.Dropout.check(b.dropout);
        if (b.unetChannels == null && b.dropout != 0)
            throw new InvalidParameterException("dropout applies to model unet only (the MLP has none)", "dropout", "model");
        int heads = b.attentionHeads();
        ModelSpec spec = b.unetChannels == null ? ModelSpec.MLP
                : new ModelSpec("unet", b.unetChannels, b.groups, b.conditional, b.labelDropout, b.dropout, heads);
        if (!spec.isUnet() && b.conditional) throw new InvalidParameterException("conditional needs model unet", "conditional", "model");
        if (!spec.isUnet() && heads != 0) throw new InvalidParameterException("attentionHeads needs model unet", "attentionHeads", "model");
        Objective objective = b.objective;
        TrainConfig cfg = b.config(data.name);
        AffinePath path = path(b.path);
        Backend backend = Backends.byName(b.backend);
        String cname = b.coupling == null ? "independent" : b.coupling.trim().toLowerCase(Locale.ROOT);
        if (b.sinkhornReg != SinkhornCoupling.DEFAULT_REG && !cname.equals("sinkhorn"))
            throw new InvalidParameterException("sinkhornReg applies to coupling sinkhorn only (got coupling " + b.coupling + ")", "sinkhornReg", "coupling");
        this.checkpoint = b.out == null ? null : b.out.resolve("model.safetensors");
        if (b.resume && (checkpoint == null || !Files.exists(checkpoint)))
            throw new InvalidParameterException("resume: no checkpoint at " + (checkpoint == null ? "(no out folder given)" : checkpoint), "resume");
        if (!spec.isUnet()) // the U-Net's buffers are small next to its data set; the MLP's grow with hidden width and batch
            MemoryBudget.check(MemoryBudget.trainingBytes(cfg.mlp(data.dim()), cfg.batch()),
                    "batch " + cfg.batch() + ", hidden " + cfg.hidden() + " and layers " + cfg.layers(), "batch", "hidden", "layers");
        if (b.out != null) {
            try {
                Files.createDirectories(b.out);
            } catch (IOException e) {
                throw new UserError("cannot create output directory " + b.out + ": " + e.getMessage());
            }
        }
        Pool p = null;
        ConvKernels c = null;
        CfmTrainer t = null;
        try {
            p = new Pool(b.threads);
            c = spec.isUnet() ? backend.convolutions(p, new BackendOptions(b.libraryDir)) : null;
            t = new CfmTrainer(cfg, spec, data.source, path, p, c, coll, objective,
                    spec.isUnet() ? null : backend.denseGemm(p, new BackendOptions(b.libraryDir)));
            if (b.classWeight != null && !b.conditional)
                throw new InvalidParameterException("classWeight applies to a conditional model only", "classWeight", "conditional");
            if (b.couplingBatch != 0 && cname.equals("independent"))
                throw new InvalidParameterException("couplingBatch applies to coupling ot or sinkhorn only", "couplingBatch", "coupling");
            double w = !b.conditional ? Double.NaN : b.classWeight == null ? Double.POSITIVE_INFINITY : b.classWeight;
            int planRows = b.couplingBatch > 0 ? b.couplingBatch : cfg.batch(); // setCoupling checks couplingBatch ≥ batch
            t.setCoupling(Coupling.byName(cname, planRows, t.dim(), b.sinkhornReg, w, coll), b.couplingBatch);
            if (b.startFrom != null) startFrom(t, b.startFrom);
            long at = -1;
            if (b.resume) {
                Checkpoint.restore(t, checkpoint);
                at = t.step();
            }
            this.resumedAt = at;
            StepEngine e = backend.stepEngine(t, new BackendOptions(b.libraryDir));
            if (objective.fewStep() && e != t) { // a device engine runs the CFM step only
                e.close();
                throw new InvalidParameterException("objective " + objective.id + " trains on the JVM (backend " + backend.name()
                        + " runs cfm steps only)", "objective", "backend");
            }
            this.engine = e;
        } catch (RuntimeException e) {
            if (t != null) t.close();
            if (c != null) c.close();
            if (p != null) p.close();
            throw e;
        }
        this.pool = p;
        this.conv = c;
        this.tr = t;
        this.model = spec.isUnet()
                ? String.format("U-Net %s%s%s%s (%s backend)", UNetConfig.list(b.unetChannels), b.conditional ? ", class-conditional" : "",
                        spec.dropout() > 0 ? ", dropout " + spec.dropout() : "",
                        heads == 0 ? "" : ", mid attention " + heads + (heads == 1 ? " head" : " heads"), c.name())
                        + (objective.fewStep() ? ", objective " + objective.id : "")
                : String.format("MLP %d×%d", cfg.hidden(), cfg.layers()) + (objective.fewStep() ? ", objective " + objective.id : "");
    }

    public static Builder builder() { return new Builder(); }

    /** Paths.byName, its refusal naming the option (other callers, e.g. a list of paths, word it their own way). */
    private static AffinePath path(String name) {
        try {
            return Paths.byName(name);
        } catch (UserError e) {
            throw new InvalidParameterException(e.getMessage(), "path");
        }
    }

    /** Loads the checkpoint's weights (EMA preferred) into the new network and its EMA. */
    private static void startFrom(CfmTrainer t, Path file) {
        try (Arena arena = Arena.ofConfined()) {
            Checkpoint.Model m = Checkpoint.readModel(file, arena, true);
            if (m.dim() != t.dim())
                throw new InvalidParameterException("startFrom " + file + " has dim " + m.dim() + ", the data " + t.dim(), "startFrom", "data");
            Checkpoint.loadWeights(t.model.params(), m.weights(), file);
            t.ema.weights().copyFrom(t.model.params().values());
        }
    }

    /**
     * Trains until {@code steps} optimizer steps are done (counting those of a resumed run) or a
     * stop is requested, then writes the checkpoint. A loss or gradient that stops being finite
     * throws {@link TrainingDiverged} naming the step; the last checkpoint stays.
     */
    public TrainResult run(ProgressListener listener) {
        if (emaSwapped) throw new IllegalStateException("this trainer has sampled with its EMA weights; build a new one to train on");
        boolean root = coll.isRoot();
        double smooth = resumedSmoothedLoss;
        long start = tr.step(), t0 = clock.getAsLong();
        final long began = t0; // (t0 moves to the start of the measured stretch)
        if (timeBudget != null) tr.setTimeBudgetSeconds(timeBudget.toNanos() * 1e-9);
        // A resumed budgeted run continues the recorded schedule and stops at its end (or at the new budget);
        // a fresh one estimates its steps as it goes (TimeBudget) and stops at the budget or at steps.
        boolean resumedSchedule = tr.hasScheduleEstimate();
        long stopAt = resumedSchedule ? Math.min(totalSteps, tr.scheduleSteps()) : totalSteps;
        if (resumedSchedule && root)
            listener.onSchedule(timeBudget != null ? timeBudget : Duration.ofNanos((long) (tr.timeBudgetSeconds() * 1e9)), stopAt, Double.NaN);
        TimeBudget budget = timeBudget == null ? null
                : new TimeBudget(began, timeBudget.toNanos(), Math.max(tr.config.warmup(), start + 20), totalSteps);
        boolean estimating = budget != null && !resumedSchedule;
        long shownTotal = stopAt; // what the listener is told: the estimate once one is made (the steps may pass it)
        long warm = start + Math.max(1, (totalSteps - start) / 5); // rates leave out the first fifth (JIT warm-up)
        double comm0 = 0;
        long commSteps0 = 0;
        boolean stopped = false, budgetReached = false;
        try {
            while (tr.step() < stopAt) {
                if (tr.stopAgreed()) { // with several ranks: the same step on all of them
                    stopped = true;
                    break;
                }
                double loss = engine.trainStep();
                smooth = Double.isNaN(smooth) ? loss : 0.98 * smooth + 0.02 * loss;
                long k = tr.step();
                if (budget != null) {
                    long now = clock.getAsLong();
                    if (estimating && budget.afterStep(k, now)) {
                        tr.reschedule(k, Math.max(1, budget.estimate())); // the decay goes on from where it is
                        shownTotal = budget.estimate();
                        if (warm > k) warm = k; // the rate of the result: from here on
                        if (root) listener.onSchedule(timeBudget, budget.estimate(), budget.rate());
                    }
                    if (budget.over(now) && k < stopAt) budgetReached = true;
                }
                if (k == warm) {
                    t0 = clock.getAsLong();
                    comm0 = tr.commSeconds();
                    commSteps0 = tr.commSteps();
                }
                long every = tr.config.checkpointEvery();
                if (every > 0 && k % every == 0 && k < stopAt && !budgetReached) save(listener);
                if (root) listener.onStep(k, shownTotal, loss, smooth, tr.lrAt(k), engine.lastGradNorm());
                if (budgetReached) break;
            }
        } catch (TrainingDiverged e) {
            throw checkpoint == null ? e : new TrainingDiverged(e.getMessage() + "; " + Checkpoint.keptNote(checkpoint), e.parameters().toArray(String[]::new));
        }
        save(listener);
        long measured = tr.step() - Math.min(warm, tr.step());
        double seconds = (clock.getAsLong() - t0) * 1e-9;
        long commSteps = tr.commSteps() - commSteps0;
        return new TrainResult(tr.step(), engine.lastLoss(), smooth, checkpoint, stopped,
                measured > 0 ? measured / seconds : Double.NaN,
                commSteps == 0 ? 0 : 1e3 * (tr.commSeconds() - comm0) / commSteps, tr.gradientBytes(), budgetReached);
    }

    private void save(ProgressListener listener) {
        engine.syncToHost();
        if (checkpoint == null || !coll.isRoot()) return;
        Checkpoint.save(tr, checkpoint);
        listener.onCheckpoint(tr.step(), checkpoint);
    }

    /**
     * Asks {@link #run} to stop after the current step and write the checkpoint (from any thread,
     * e.g. a shutdown hook); in a data-parallel job every rank stops after the same step.
     */
    public void requestStop() { tr.requestStop(); }

    /**
     * Samples the trained model where it trained (the JVM, or a device backend's), with the EMA
     * weights when there is an EMA; after this the trainer holds those weights and cannot train
     * on. In a data-parallel job every rank must call it; rank 0 gets all the points.
     */
    public Samples sampleWithStats(SampleRequest req) { return sampleWithStats(req, SampleListener.NONE); }

    /** The same samples, {@code listener} hearing the solve between its steps (on rank 0). */
    public Samples sampleWithStats(SampleRequest req, SampleListener listener) {
        if (!emaSwapped && tr.config.emaDecay() > 0) tr.model.params().values().copyFrom(tr.ema.weights());
        emaSwapped = true;
        int[] labels = Flow.labels(req, tr.model.classes(), "this model");
        if (!tr.spec.isUnet())
            MemoryBudget.check(MemoryBudget.samplingBytes(tr.config.mlp(tr.dim()).withTimeInputs(tr.objective.timeInputs()), req.n()),
                    "n " + req.n() + " samples of this model", "n");
        try (Workspace ws = new Workspace(); FlowSampler s = engine.sampler()) {
            int n = req.n();
            dev.panflow.ode.SolveListener heard = listener == SampleListener.NONE || !coll.isRoot() ? dev.panflow.ode.SolveListener.NONE
                    : (done, nfe) -> listener.onProgress(Math.min(n, (long) (done * n)), n, nfe);
            Sampler.Result r = s.sample(tr.path, req.solverSpec(), n, req.seed(), labels, req.guidance(), ws, heard);
            float[] out = new float[Math.toIntExact(r.samples().size())];
            MemorySegment.copy(r.samples().segment(), ValueLayout.JAVA_FLOAT, 0, out, 0, out.length);
            return Samples.of(out, req, tr.dim(), r);
        }
    }

    /** The data set's name, for logs. */
    public String dataName() { return data.name(); }

    public int dim() { return tr.dim(); }

    /** "MLP 256×3" or "U-Net 32,64,64 (jvm backend)". */
    public String modelDescription() { return model; }

    public long parameterCount() { return tr.model.params().count(); }

    public String pathName() { return tr.path.scheduler().name(); }

    public String couplingName() { return tr.coupling().name(); }

    /** The coupling in words: its name, how it treats classes, and its coupling batch. */
    public String couplingDescription() {
        var c = tr.coupling();
        String s = c.name();
        if (c != Coupling.INDEPENDENT && tr.model.classes() > 0) {
            String w = c.metadata().get("class_weight");
            s += "Infinity".equals(w) ? ", within each class" : ", class weight " + w + " (C²OT)";
        }
        if (tr.couplingBatch() > 0)
            s += ", plan over " + tr.couplingBatch() + " pairs, recomputed every " + tr.couplingBatch() / tr.config.batch() + " steps";
        return s;
    }

    /** cfm, meanflow or shortcut. */
    public String objective() { return tr.objective.id; }

    /** The time embedding the network was built with (sinusoidal or concat; the default depends on the objective). */
    public String timeEmbedding() { return tr.config.timeEmbedding(); }

    public int threads() { return pool.threads(); }

    /** Where the steps run: "jvm", or the device backend's "cuda on …". */
    public String where() { return engine.where(); }

    /** Ranks of the data-parallel job (1 for one process), and this rank's rows of each batch. */
    public int ranks() { return coll.size(); }

    public int localRows() { return tr.localRows(); }

    /** The step a resumed run continued from, or −1. */
    public long resumedAt() { return resumedAt; }

    /**
     * The smoothed loss (s ← 0.98·s + 0.02·loss) the run had at {@link #resumedAt()}, taken from
     * the caller's own records (a checkpoint does not hold it), so that {@link #run} continues the
     * average instead of restarting it from the first step's raw loss. NaN restarts it.
     */
    public void continueSmoothedLoss(double smoothed) {
        if (resumedAt < 0) throw new IllegalStateException("only a resumed run continues a smoothed loss");
        this.resumedSmoothedLoss = smoothed;
    }

    public long step() { return tr.step(); }

    public Path checkpoint() { return checkpoint; }

    /** Image shape [c, h, w] of image data, else null. */
    public int[] imageShape() {
        return data.source instanceof dev.panflow.data.ImageDataSource img ? new int[] {img.channels(), img.height(), img.width()} : null;
    }

    public int classes() { return tr.model.classes(); }

    /** Frees the trainer's buffers, threads and data. */
    @Override
    public void close() {
        if (engine != tr) engine.close();
        tr.close();
        if (conv != null) conv.close();
        pool.close();
        data.close();
    }

    /**
     * Every option of a run, with the command line's defaults: OT path, MLP 256×3 with a
     * sinusoidal time embedding (16 frequencies), batch 1024, 3000 steps, AdamW at lr 8e-3 with
     * 100 warm-up steps and cosine decay, EMA 0.999, t logit-normal at location 1, independent
     * coupling, seed 0, the jvm backend on all cores. {@link #unet} switches to image defaults
     * for the options not set (batch 64, lr 2e-3, time location 0, one attention head).
     */
    public static final class Builder {
        private TrainingData data;
        private String path = "ot", timeEmbedding;
        private LrSchedule lrSchedule = LrSchedule.COSINE;
        private TimeSampling timeSampling = TimeSampling.LOGIT_NORMAL;
        private Objective objective = Objective.CFM;
        private String coupling = "independent", backend = Backends.DEFAULT;
        private int hidden = 256, layers = 3, frequencies = 16, groups = 8;
        private Integer batch;
        private Float lr, timeLocation;
        private long steps = 3000, warmup = 100, seed, checkpointEvery = 1000;
        private float weightDecay, ema = 0.999f, maxGradNorm, labelDropout = 0.1f, dropout;
        private double sinkhornReg = SinkhornCoupling.DEFAULT_REG;
        private Double classWeight; // null: the default (+∞ for a conditional model)
        private int couplingBatch;
        private Integer attentionHeads;   // null: the default of attentionHeads() (README recipe table: better FID at 15 minutes)
        private int[] unetChannels;
        private boolean conditional, resume;
        private int threads = Runtime.getRuntime().availableProcessors();
        private Path out, libraryDir, startFrom;
        private Collective collective = Collective.SINGLE;
        private Duration timeBudget;
        private LongSupplier clock = System::nanoTime;

        private Builder() {}

        /** For tests: the clock (nanoseconds) that the time budget and steps/s are measured on. */
        Builder clock(LongSupplier nanos) { this.clock = nanos; return this; }

        /**
         * Train for this long (wall time of {@link #run}): after the warm-up (at 5 % of the budget,
         * and again at 25, 50, 75 and 90 %) the total steps are estimated from the measured rate
         * and the lr schedule is laid over them; the run stops at the budget with a checkpoint
         * (steps past the estimate run at the schedule's final lr), and {@code steps} stays an
         * upper bound. A resumed run continues the recorded schedule to its end.
         * Null: no budget (the schedule runs over {@code steps}, exactly as before).
         */
        public Builder timeBudget(Duration budget) {
            if (budget != null && (budget.isNegative() || budget.isZero() || budget.compareTo(Duration.ofDays(366)) > 0))
                throw new InvalidParameterException("timeBudget must be positive and at most 366 days, got " + budget, "timeBudget");
            this.timeBudget = budget;
            return this;
        }

        /** The training data; the trainer closes it when it is closed. */
        public Builder data(TrainingData data) { this.data = data; return this; }

        /** Conditional probability path: ot, vp, ve, cosine or poly. */
        public Builder path(String path) { this.path = path; return this; }

        /** An MLP velocity field with {@code layers} hidden layers of width {@code hidden}. */
        public Builder mlp(int hidden, int layers) {
            this.hidden = hidden;
            this.layers = layers;
            this.unetChannels = null;
            return this;
        }

        /** A U-Net for images, with these channels per resolution (the image is halved between entries). */
        public Builder unet(int... channels) {
            if (channels == null || channels.length == 0) throw new InvalidParameterException("channels must list at least one width", "channels");
            this.unetChannels = channels.clone();
            return this;
        }

        public Builder groups(int groups) { this.groups = groups; return this; }
        /** A class-conditional U-Net (for classifier-free guidance). */
        public Builder conditional(boolean on) { this.conditional = on; return this; }
        public Builder labelDropout(float p) { this.labelDropout = p; return this; }
        /**
         * U-Net: dropout with probability p in [0, 1) in every Res block, before its second conv
         * (DDPM's place), in training only; sampling, likelihood and evaluation never drop. The
         * masks are drawn per image from streams of the seed, the step and the row, so they do not
         * depend on the threads and a resume continues bit for bit. 0 (the default): none.
         */
        public Builder dropout(float p) { this.dropout = p; return this; }
        /**
         * A self-attention block with this many heads after the U-Net's mid block, over the
         * positions of the lowest resolution (DDPM-style; heads must divide its channels).
         * 0: none. Default: 1 for model unet, none for the MLP.
         */
        public Builder attentionHeads(int heads) { this.attentionHeads = heads; return this; }
        /**
         * sinusoidal or concat (t as one more input). Default: sinusoidal, but concat for
         * objective meanflow (its JVP differentiates the features in t: sinusoidal ones up to 100
         * rad per unit time made the targets blow up on 2-D data, bench/README "Few-step generation").
         */
        public Builder timeEmbedding(String kind) { this.timeEmbedding = kind; return this; }
        public Builder frequencies(int n) { this.frequencies = n; return this; }
        /** uniform or logit-normal. */
        public Builder timeSampling(String kind) { return timeSampling(TimeSampling.byName(kind)); }
        public Builder timeSampling(TimeSampling kind) { this.timeSampling = Objects.requireNonNull(kind, "timeSampling"); return this; }
        public Builder timeLocation(float m) { this.timeLocation = m; return this; }
        /**
         * What the network learns: cfm (the velocity field; the default), meanflow (Geng et al.
         * 2025) or shortcut (Frans et al. 2024), the few-step models (MLP or U-Net, one process, a path from
         * N(0, I) to the data: ot, cosine or poly).
         */
        public Builder objective(String name) { return objective(Objective.byName(name)); }
        public Builder objective(Objective objective) { this.objective = Objects.requireNonNull(objective, "objective"); return this; }
        /** independent, ot or sinkhorn. */
        public Builder coupling(String kind) { this.coupling = kind; return this; }
        public Builder sinkhornReg(double reg) { this.sinkhornReg = reg; return this; }

        /**
         * Conditional models with coupling ot or sinkhorn: the C²OT weight of a cross-class pair,
         * relative to the batch's mean squared distance; +∞ (the default) pairs only within a
         * class, 0 ignores classes.
         */
        public Builder classWeight(double w) { this.classWeight = w; return this; }

        /** Pairs over pools of M ≥ batch rows, training on minibatches drawn from each plan (0: per batch). */
        public Builder couplingBatch(int m) { this.couplingBatch = m; return this; }
        public Builder batch(int batch) { this.batch = batch; return this; }
        public Builder steps(long steps) { this.steps = steps; return this; }
        public Builder lr(float lr) { this.lr = lr; return this; }
        /** constant or cosine (decays to lr/10). */
        public Builder lrSchedule(String kind) { return lrSchedule(LrSchedule.byName(kind)); }
        public Builder lrSchedule(LrSchedule kind) { this.lrSchedule = Objects.requireNonNull(kind, "lrSchedule"); return this; }
        public Builder warmup(long steps) { this.warmup = steps; return this; }
        public Builder weightDecay(float wd) { this.weightDecay = wd; return this; }
        /** EMA decay of the weights used for sampling (0 = none). */
        public Builder ema(float decay) { this.ema = decay; return this; }
        /** Clip the global gradient norm to this (0 = off). */
        public Builder maxGradNorm(float norm) { this.maxGradNorm = norm; return this; }
        public Builder seed(long seed) { this.seed = seed; return this; }
        /** Write the checkpoint every n steps (0 = only at the end and on a stop). */
        public Builder checkpointEvery(long n) { this.checkpointEvery = n; return this; }
        /** The output folder for model.safetensors (null: no checkpoint). */
        public Builder out(Path dir) { this.out = dir; return this; }
        /** Continue from the checkpoint in {@link #out}; the result is that of an uninterrupted run. */
        public Builder resume(boolean on) { this.resume = on; return this; }
        /** jvm, scalar, or a native one (onednn, cuda) when panflow-native is on the class path. */
        public Builder backend(String name) { this.backend = name; return this; }
        /** A folder searched first for the backend's native libraries. */
        public Builder libraryDir(Path dir) { this.libraryDir = dir; return this; }
        /** Kernel threads (default: all cores). */
        public Builder threads(int n) { this.threads = n; return this; }
        /** Data parallel over the ranks of a job (the batch is the global batch); one process by default. */
        public Builder collective(Collective c) { this.collective = c == null ? Collective.SINGLE : c; return this; }

        /**
         * Fine-tunes a trained flow: takes the model and training options of that checkpoint
         * (a later setter overrides each) and starts from its weights, the EMA ones when it has them.
         */
        public Builder startFrom(Path checkpoint) {
            if (checkpoint == null || !Files.isRegularFile(checkpoint)) throw new UserError("no model file at " + checkpoint);
            try (Arena arena = Arena.ofConfined()) {
                Checkpoint.Model m = Checkpoint.readModel(checkpoint, arena, true);
                TrainConfig c = m.config();
                path = c.path();
                hidden = c.hidden();
                layers = c.layers();
                timeEmbedding = c.timeEmbedding();
                frequencies = c.frequencies();
                batch = c.batch();
                steps = c.steps();
                lr = c.lr();
                lrSchedule = c.lrSchedule();
                warmup = c.warmup();
                weightDecay = c.weightDecay();
                ema = c.emaDecay();
                maxGradNorm = c.maxGradNorm();
                seed = c.seed();
                checkpointEvery = c.checkpointEvery();
                timeSampling = c.timeSampling();
                timeLocation = c.timeLocation();
                ModelSpec spec = m.spec();
                unetChannels = spec.isUnet() ? spec.channels() : null;
                groups = spec.isUnet() ? spec.groups() : groups;
                conditional = spec.conditional();
                labelDropout = spec.isUnet() ? spec.labelDropout() : labelDropout;
                dropout = spec.dropout();
                attentionHeads = spec.attentionHeads();
                objective = m.objective();
            }
            this.startFrom = checkpoint;
            return this;
        }

        /** Checks every option and makes the network, optimizer and buffers. */
        public Trainer build() {
            try {
                VectorApi.require();
                if (threads < 1 || threads > 1024) throw InvalidParameterException.range("threads", 1, 1024, threads);
                return new Trainer(this);
            } catch (RuntimeException e) {
                if (data != null) data.close(); // the trainer would have owned it
                throw e;
            }
        }

        /** The mid attention block's heads: as set, else 1 for model unet (an image default, as in {@link #config}) and 0 for the MLP. */
        int attentionHeads() { return attentionHeads != null ? attentionHeads : unetChannels != null ? 1 : 0; }

        TrainConfig config(String dataName) {
            boolean unet = unetChannels != null;
            int b = batch != null ? batch : unet ? 64 : 1024;
            float l = lr != null ? lr : unet ? 2e-3f : 8e-3f;
            float tl = timeLocation != null ? timeLocation : unet ? 0f : 1f;
            String te = timeEmbedding != null ? timeEmbedding : objective == Objective.MEANFLOW ? "concat" : "sinusoidal";
            return new TrainConfig(dataName, path, hidden, layers, te, frequencies, b, steps, l, lrSchedule, warmup,
                    weightDecay, ema, maxGradNorm, seed, checkpointEvery, timeSampling, tl);
        }
    }
}
