package dev.panflow.train;

import dev.panflow.InvalidParameterException;
import dev.panflow.data.DataSource;
import dev.panflow.data.ImageDataSource;
import dev.panflow.dist.Collective;
import dev.panflow.dist.RowSplit;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.DenseGemm;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.AdamW;
import dev.panflow.nn.Ema;
import dev.panflow.nn.GradClip;
import dev.panflow.nn.FlowModel;
import dev.panflow.nn.Mlp;
import dev.panflow.nn.MlpModel;
import dev.panflow.nn.UNet;
import dev.panflow.path.AffinePath;
import dev.panflow.coupling.Coupling;
import dev.panflow.data.PairedDataSource;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;

/**
 * Conditional Flow Matching training (Lipman et al. 2023, eq. 9 with Gaussian paths, Thm. 3):
 * per step, x1 ~ q, x0 ~ N(0, I), t ~ U[0, t_max) (or logit-normal), x_t = σ_t x0 + α_t x1 (so x_0 ~ N(α_0 x1, σ_0² I)),
 * loss = mean_batch ‖v_θ(x_t, t) − (σ'_t x0 + α'_t x1)‖², then AdamW and EMA. The few-step
 * {@link Objective}s replace the loss (MeanFlowLoss, ShortcutLoss); the rest of the step is the same.
 * Every buffer is made once in the constructor: a step allocates nothing.
 *
 * <p>Data parallel over a {@link Collective} of N ranks: every rank draws the whole global batch
 * from the same seeded stream (cheap next to the network) and trains on its block of rows; the
 * loss gradient is scaled by 1/B_global, so the sum of the ranks' gradients (one in-place
 * all-reduce of the flat gradient buffer) is exactly the one-process gradient, and every rank
 * then takes the same AdamW step. N ranks with global batch B thus follow one process with
 * batch B, up to the order of float additions.
 */
public final class CfmTrainer implements StepEngine {
    public final TrainConfig config;
    /** The MLP when {@code spec} is "mlp", else null. */
    public final Mlp mlp;
    public final FlowModel model;
    public final ModelSpec spec;
    public final AdamW optimizer;
    public final Ema ema;
    public final AffinePath path;
    public final DataSource data;
    public final Rng rng;
    private final Workspace ws = new Workspace();
    private final int[] labels;   // class per row of the batch (conditional models), else null
    private final int[] localLabels; // this rank's rows of labels (labels itself with one rank)
    private final Tensor x0, x1, t, xt, coef, dv;
    public final Collective collective;
    private final RowSplit split;
    private final int first, rows;  // this rank's block of the global batch
    private final MemorySegment x0L, x1L, tL, xtL, coefL, dvL; // views of that block, made once
    private final double[] shared = new double[2]; // all-reduced per step: loss, stop request
    private volatile boolean stopRequested;
    private long commNanos, commSteps; // time spent in the all-reduces (waiting for the slower rank included)
    private final int dim;
    private final TimeSampling timeSampling;
    private double lastLoss = Double.NaN;
    private Coupling coupling = Coupling.INDEPENDENT;
    private CouplingPool pool; // null: the coupling pairs each batch
    public final Objective objective;
    private final MeanFlowLoss meanFlow;   // objective meanflow, else null
    private final ShortcutLoss shortcut;   // objective shortcut, else null

    public CfmTrainer(TrainConfig config, DataSource data, AffinePath path, Pool pool) {
        this(config, ModelSpec.MLP, data, path, pool, null);
    }

    /** {@code conv} runs the convolutions of a U-Net (unused by the MLP). */
    public CfmTrainer(TrainConfig config, ModelSpec spec, DataSource data, AffinePath path, Pool pool, ConvKernels conv) {
        this(config, spec, data, path, pool, conv, Collective.SINGLE);
    }

    /** Data-parallel over {@code collective}: {@code config.batch()} is the global batch, split over its ranks. */
    public CfmTrainer(TrainConfig config, ModelSpec spec, DataSource data, AffinePath path, Pool pool, ConvKernels conv,
                      Collective collective) {
        this(config, spec, data, path, pool, conv, collective, Objective.CFM);
    }

    /**
     * With a training objective: the few-step ones (meanflow, shortcut) train an MLP or a U-Net with a
     * second time input, in one process, on a path from N(0, I) at t = 0 to the data at t = 1.
     */
    public CfmTrainer(TrainConfig config, ModelSpec spec, DataSource data, AffinePath path, Pool pool, ConvKernels conv,
                      Collective collective, Objective objective) {
        this(config, spec, data, path, pool, conv, collective, objective, null);
    }

    /** {@code dense} runs the MLP's dense-layer GEMMs (null: the JVM's; unused by the U-Net). */
    public CfmTrainer(TrainConfig config, ModelSpec spec, DataSource data, AffinePath path, Pool pool, ConvKernels conv,
                      Collective collective, Objective objective, DenseGemm dense) {
        this.config = config;
        this.objective = objective;
        if (objective.fewStep()) {
            if (collective.size() > 1)
                throw new InvalidParameterException("objective " + objective.id + " runs in one process (not data-parallel) for now", "objective");
            if (path.tMax() != 1f || path.noiseStd() != 1f)
                throw new InvalidParameterException("objective " + objective.id + " needs a path from N(0, I) at t = 0 to the data at t = 1 (ot, cosine or poly), not "
                        + path.name(), "objective", "path");
        }
        this.collective = collective;
        this.split = new RowSplit(config.batch(), collective.size());
        if (split.rows(collective.rank()) == 0 || config.batch() < collective.size())
            throw new InvalidParameterException("batch " + config.batch() + " is smaller than the " + collective.size()
                    + " ranks: every rank needs at least one row", "batch");
        this.first = (int) split.first(collective.rank());
        this.rows = split.rows(collective.rank());
        this.spec = spec;
        this.data = data;
        this.path = path;
        this.dim = data.dim();
        this.timeSampling = config.timeSampling();
        this.rng = new Rng(config.seed());
        if (spec.isUnet()) {
            if (!(data instanceof ImageDataSource img))
                throw new InvalidParameterException("model unet needs image data (e.g. fashion-mnist), not " + data.name(), "model");
            if (spec.conditional() && img.classes() == 0)
                throw new InvalidParameterException("conditional needs labelled images; " + data.name() + " has no labels", "conditional");
            this.mlp = null;
            this.model = new UNet(spec.unet(img.channels(), img.height(), img.width(), config.frequencies(), img.classes())
                    .withTimeInputs(objective.timeInputs()), conv, pool, ws);
            if (spec.dropout() > 0) ((UNet) model).setDropout(spec.dropout(), config.seed()); // masks keyed by seed, step and row
        } else {
            this.mlp = new Mlp(config.mlp(dim).withTimeInputs(objective.timeInputs()), pool, ws, dense);
            this.model = new MlpModel(mlp, ws);
        }
        model.init(rng);
        // Same seed on every rank gives the same weights; the broadcast makes it so whatever the seeds.
        collective.broadcast(model.params().values().segment(), model.params().flatSize(), 0);
        this.optimizer = new AdamW(model.params(), ws, 0.9f, 0.999f, 1e-8f, config.weightDecay(), pool);
        this.ema = new Ema(model.params(), ws, config.emaDecay(), pool);
        int b = config.batch();
        model.reserve(rows);
        labels = model.classes() > 0 ? new int[b] : null;
        localLabels = labels == null ? null : collective.size() == 1 ? labels : new int[rows];
        x0 = ws.tensor(b, dim);
        x1 = ws.tensor(b, dim);
        t = ws.tensor(b);
        xt = ws.tensor(b, dim);
        coef = ws.tensor(b, 4);   // per row (σ'_t, α'_t) as two doubles
        dv = ws.tensor(b, dim);
        x0L = block(x0, dim);
        x1L = block(x1, dim);
        tL = block(t, 1);
        xtL = block(xt, dim);
        coefL = block(coef, 4);
        dvL = block(dv, dim);
        meanFlow = objective == Objective.MEANFLOW ? new MeanFlowLoss((dev.panflow.nn.FewStepModel) model, path, b, ws) : null;
        shortcut = objective == Objective.SHORTCUT ? new ShortcutLoss((dev.panflow.nn.FewStepModel) model, path, b, ws) : null;
    }

    private MemorySegment block(Tensor full, int cols) {
        return full.segment().asSlice(4L * first * cols, 4L * rows * cols);
    }

    /** Seconds this rank spent in the per-step all-reduces so far, and over how many steps. */
    public double commSeconds() { return commNanos * 1e-9; }

    public long commSteps() { return commSteps; }

    /** Bytes of gradient all-reduced per step (the flat buffer, alignment padding included). */
    public long gradientBytes() { return 4L * model.params().flatSize(); }

    /** Rows of the global batch this rank trains on. */
    public int localRows() { return rows; }

    /**
     * Asks the run to stop: with several ranks, {@link #stopAgreed()} becomes true on every rank
     * after the same step, whichever rank asked (a signal may reach the ranks at different steps).
     */
    public void requestStop() { stopRequested = true; }

    /** True once any rank has asked to stop, as of the last step (the same answer on every rank). */
    public boolean stopAgreed() { return shared[1] > 0 || (collective.size() == 1 && stopRequested); }

    private double lastGradNorm = Double.NaN;
    private long scheduleSteps;        // 0: the schedule runs over config.steps()
    private double timeBudgetSeconds;  // 0: no time budget

    @Override
    public double lastGradNorm() { return lastGradNorm; }

    /** The learning rate of 1-based step k: the config's schedule over {@link #scheduleSteps()}. */
    public float lrAt(long k) { return scheduleSteps > 0 ? config.lrAt(k, scheduleSteps, scheduleFrom, scheduleFromProgress) : config.lrAt(k); }

    private long scheduleFrom;            // a re-laid schedule's step and progress there (0, 0: laid from the warm-up)
    private double scheduleFromProgress;

    /**
     * A time budget's new estimate at step {@code k}: the decay continues from where it is at k
     * and reaches its end at {@code steps} (the lr stays continuous and keeps falling).
     */
    public void reschedule(long k, long steps) {
        if (scheduleSteps > 0 && k > config.warmup()) {
            scheduleFromProgress = config.decayProgress(k, scheduleSteps, scheduleFrom, scheduleFromProgress);
            scheduleFrom = k;
        }
        setScheduleSteps(steps);
    }

    /** The step the schedule was last re-laid at (0: never) and the decay's progress there. */
    public long scheduleFrom() { return scheduleFrom; }

    public double scheduleFromProgress() { return scheduleFromProgress; }

    /** Restores a re-laid schedule (from a checkpoint). */
    public void setScheduleFrom(long step, double progress) {
        if (step < 0 || !(progress >= 0 && progress <= 1)) throw new IllegalArgumentException("schedule from " + step + " at " + progress);
        this.scheduleFrom = step;
        this.scheduleFromProgress = progress;
    }

    /** The steps the lr schedule is laid over: a time budget's estimate, else the config's steps. */
    public long scheduleSteps() { return scheduleSteps > 0 ? scheduleSteps : config.steps(); }

    /** True when a time budget's estimate (not the config's steps) sets the schedule. */
    public boolean hasScheduleEstimate() { return scheduleSteps > 0; }

    /** Lays the schedule over {@code steps} (a time budget's estimate); recorded in checkpoints. */
    public void setScheduleSteps(long steps) {
        if (steps < 1) throw new IllegalArgumentException("schedule steps " + steps);
        this.scheduleSteps = steps;
    }

    /** The run's time budget in seconds (0 = none), recorded in checkpoints. */
    public double timeBudgetSeconds() { return timeBudgetSeconds; }

    public void setTimeBudgetSeconds(double s) { this.timeBudgetSeconds = s; }

    /** Completed optimizer steps. */
    public long step() { return optimizer.steps(); }

    /** One CFM training step; returns the batch loss. */
    @Override
    public double trainStep() {
        int b = config.batch();
        long n = (long) b * dim;
        if (pool != null) {
            pool.fill(optimizer.steps(), x0.segment(), x1.segment(), labels); // pairs from the plan over the coupling batch
        } else if (data instanceof PairedDataSource pairs) {
            pairs.samplePairs(rng, x0.segment(), x1.segment(), b); // fixed (x0, x1), e.g. reflow
        } else {
            if (labels == null) {
                data.sample(rng, x1.segment(), b);
            } else {
                ((ImageDataSource) data).sample(rng, x1.segment(), labels, b);
                // Classifier-free guidance training: drop the label (use the null class) with probability p.
                for (int r = 0; r < b; r++) if (rng.nextFloat() < spec.labelDropout()) labels[r] = model.classes();
            }
            rng.fillGaussian(x0.segment(), n, 1f); // standard normal: σ_t scales it in x_t = σ_t x0 + α_t x1
            coupling.pair(x0.segment(), x1.segment(), labels, b, dim, rng); // labels: what the model trains each row with
        }
        double loss;
        long k = optimizer.steps() + 1;
        if (meanFlow != null) loss = meanFlow.lossAndGrad(rng, x0L, x1L, labels, dvL, rows, 1f / b, k) / b; // one process: rows = b
        else if (shortcut != null) loss = shortcut.lossAndGrad(rng, x0L, x1L, labels, dvL, rows, 1f / b, k) / b;
        else {
            timeSampling.fill(rng, t.segment(), b, path.tMax(), config.timeLocation());
            // From here on, only this rank's rows [first, first + rows) of the global batch.
            if (localLabels != null && localLabels != labels) System.arraycopy(labels, first, localLabels, 0, rows);
            path.sampleInputs(x0L, x1L, tL, xtL, coefL, rows, dim);
            model.trainingPass(k, first); // dropout masks (if any) of this step's rows
            var v = model.forward(xtL, tL, localLabels, rows);
            // L = (1/B) Σ_rows ‖v − u‖²  ⇒  dL/dv = 2(v − u)/B, with the target u = σ'_t x0 + α'_t x1 built in the same pass
            loss = AffinePath.lossAndGrad(v, x0L, x1L, coefL, dvL, rows, dim, 1f / b) / b;
        }
        if (collective.size() == 1 && !Double.isFinite(loss)) throw lossDiverged(loss, k);
        model.backward(dvL, rows);
        if (collective.size() > 1) {
            long c0 = System.nanoTime();
            // One in-place all-reduce of the whole flat gradient: Σ_ranks of (1/B)-scaled partial gradients.
            collective.allreduceSum(model.params().grads().segment(), model.params().flatSize());
            shared[0] = loss;
            shared[1] = stopRequested ? 1 : 0;
            collective.allreduceSum(shared); // the global loss, and whether any rank was asked to stop
            commNanos += System.nanoTime() - c0;
            commSteps++;
            loss = shared[0];
            if (!Double.isFinite(loss)) throw lossDiverged(loss, k); // the same on every rank: all stop together
        }
        double norm = GradClip.clip(model.params(), config.maxGradNorm());
        if (!Double.isFinite(norm))
            throw new TrainingDiverged("gradient norm is " + norm + " at step " + k + "; the learning rate (lr "
                    + config.lr() + ") is likely too high (lower it, or set maxGradNorm), or the data has extreme values",
                    "lr", "maxGradNorm");
        lastGradNorm = norm;
        optimizer.step(lrAt(k));
        ema.update(k);
        lastLoss = loss;
        return loss;
    }

    private TrainingDiverged lossDiverged(double loss, long k) {
        return new TrainingDiverged("loss is " + loss + " at step " + k + "; the learning rate (lr " + config.lr()
                + ") is likely too high, or the data has extreme values", "lr");
    }

    @Override
    public double lastLoss() { return lastLoss; }

    /** The JVM trains in the host buffers themselves: nothing to copy. */
    @Override
    public void syncToHost() {}

    @Override
    public dev.panflow.sampling.FlowSampler sampler() {
        if (objective.fewStep())
            return mlp != null ? new dev.panflow.sampling.FewStepSampler(mlp, objective.id, objective == Objective.SHORTCUT)
                    : new dev.panflow.sampling.FewStepSampler((dev.panflow.nn.FewStepModel) model, objective.id, objective == Objective.SHORTCUT);
        return dev.panflow.sampling.Sampler.onJvm(model, collective);
    }

    @Override
    public String where() { return mlp == null || mlp.gemmName().equals("jvm") ? "jvm" : "jvm, dense layers on " + mlp.gemmName(); }

    /** How x0 and x1 are paired in each batch (independent unless set; not used for paired data). */
    public Coupling coupling() { return coupling; }

    public void setCoupling(Coupling coupling) { setCoupling(coupling, 0); }

    /**
     * couplingBatch M &gt; 0: the coupling pairs pools of M rows (M ≥ batch, the coupling sized
     * for M) and steps train on minibatches of them ({@link CouplingPool}); 0: it pairs each batch.
     */
    public void setCoupling(Coupling coupling, int couplingBatch) {
        if (coupling == null) throw new IllegalArgumentException("coupling is null");
        if (labels != null && !coupling.pairsClasses())
            throw new IllegalArgumentException("coupling " + coupling.name() + " was made for an unconditional model (give it a class weight)");
        if (couplingBatch != 0) {
            if (couplingBatch < config.batch())
                throw new InvalidParameterException("couplingBatch must be ≥ batch (" + config.batch() + "), got " + couplingBatch,
                        "couplingBatch", "batch");
            if (data instanceof PairedDataSource)
                throw new InvalidParameterException("couplingBatch does not apply to fixed pairs (" + data.name() + ")", "couplingBatch");
            pool = new CouplingPool(coupling, couplingBatch, config.batch(), dim, data, labels != null, spec.labelDropout(),
                    model.classes(), config.seed(), ws); // buffers from the workspace: set once, before training
        } else {
            pool = null;
        }
        this.coupling = coupling;
    }

    /** The coupling batch M (0: the coupling pairs each training batch). */
    public int couplingBatch() { return pool == null ? 0 : pool.poolRows(); }

    /** What a checkpoint records of the coupling, and a resume must match: its settings, and the coupling batch. */
    public java.util.Map<String, String> couplingMetadata() {
        var m = new java.util.LinkedHashMap<>(coupling.metadata());
        if (pool != null) m.put("coupling_batch", Integer.toString(pool.poolRows()));
        return m;
    }
    public int dim() { return dim; }

    /** Bytes of off-heap buffers held by this trainer (flat once built). */
    public long workspaceBytes() { return ws.bytes(); }

    /** Frees the buffers (idempotent). */
    @Override
    public void close() { ws.close(); }
}
