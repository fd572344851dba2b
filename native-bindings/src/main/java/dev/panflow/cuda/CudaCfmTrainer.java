package dev.panflow.cuda;

import dev.panflow.InvalidParameterException;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.panflow.data.ArrayDataSource;
import dev.panflow.data.DataSource;
import dev.panflow.path.CondOtScheduler;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.train.CfmTrainer;
import dev.panflow.train.TimeSampling;
import dev.panflow.train.TrainConfig;
import dev.panflow.train.TrainingDiverged;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The CFM training step of {@link CfmTrainer} run entirely on the GPU: data rows drawn from a
 * copy of the data set in device memory, noise and times from a counter-based generator on the
 * device, the OT path, forward, MSE gradient, backward, optional norm clipping, AdamW and EMA.
 * Nothing crosses to the host during a step; the loss is summed on the device and read every
 * {@code lossEvery} steps (that read is the only wait). The host trainer keeps the config and
 * receives weights, EMA and Adam moments in {@link #toHost} (before a checkpoint), so checkpoints
 * keep their format. Random draws differ from the JVM backend's (same distributions).
 */
public final class CudaCfmTrainer implements AutoCloseable {
    /** Rows of a toy (generated) data set copied to the device; batches draw from them with replacement. */
    static final int TOY_POOL_ROWS = 1 << 20;
    private final Gpu gpu;
    public final CfmTrainer host;
    public final CudaMlp mlp;
    private final TrainConfig config;
    private final CudaMlp.Activations acts;
    private final DeviceTensor pool, x0, x1, t, xt, ut, dv, m, v, ema, scalars;
    private final long poolRows;
    private final int dim, batch, lossEvery;
    private final float sigmaMin, tMax;
    private final boolean logitNormal;
    private final MemorySegment scalarHost;
    private final Arena arena = Arena.ofShared();
    private int unreadSteps;
    private double lastLoss = Double.NaN;

    public CudaCfmTrainer(Gpu gpu, CfmTrainer host, int lossEvery) {
        if (!(host.path.scheduler() instanceof CondOtScheduler ot))
            throw new InvalidParameterException("backend cuda trains with path ot only (got " + host.path.name() + "); use backend jvm for other paths",
                    "backend", "path");
        if (lossEvery < 1) throw new IllegalArgumentException("lossEvery must be ≥ 1");
        if (host.mlp == null)
            throw new InvalidParameterException("backend cuda trains MLP models only; the U-Net on the GPU is not available yet (use backend jvm or onednn)",
                    "backend", "model");
        if (host.coupling() != dev.panflow.coupling.Coupling.INDEPENDENT || host.data instanceof dev.panflow.data.PairedDataSource)
            throw new InvalidParameterException("backend cuda trains with coupling independent only; pairs are drawn on the device",
                    "backend", "coupling");
        this.gpu = gpu;
        this.host = host;
        this.config = host.config;
        this.lossEvery = lossEvery;
        this.sigmaMin = (float) ot.sigmaMin();
        this.tMax = host.path.tMax();
        this.logitNormal = config.timeSampling() == TimeSampling.LOGIT_NORMAL;
        this.dim = host.dim();
        this.batch = config.batch();
        gpu.makeCurrent();
        mlp = new CudaMlp(gpu, host.mlp);
        acts = mlp.activations(batch);
        long n = (long) batch * dim;
        x0 = gpu.allocate(n);
        x1 = gpu.allocate(n);
        t = gpu.allocate(batch);
        xt = gpu.allocate(n);
        ut = gpu.allocate(n);
        dv = gpu.allocate(n);
        long flat = mlp.flatSize();
        m = gpu.allocate(flat);
        v = gpu.allocate(flat);
        ema = gpu.allocate(flat);
        scalars = gpu.allocate(2); // [0]: loss sum since the last read, [1]: gradient sum of squares
        gpu.zero(scalars.ptr, 2);
        scalarHost = arena.allocate(8);
        fromHost();
        DataSource ds = host.data;
        if (ds instanceof ArrayDataSource a) {
            poolRows = a.rows();
            pool = gpu.allocate(poolRows * dim).upload(a.rowsSegment(), poolRows * dim);
        } else {
            poolRows = Math.max(batch, Math.min(TOY_POOL_ROWS, (64 << 20) / dim));
            pool = gpu.allocate(poolRows * dim);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment rows = a.allocate(4L * poolRows * dim, 64);
                ds.sample(new Rng(config.seed() ^ 0x5DEECE66DL), rows, (int) poolRows);
                pool.upload(rows, poolRows * dim);
            }
        }
    }

    /** Copies weights, EMA and Adam moments of the host trainer (fresh or restored) to the device. */
    public void fromHost() {
        mlp.uploadWeights(host.mlp.params().values());
        ema.upload(host.ema.weights().segment(), mlp.flatSize());
        m.upload(host.optimizer.firstMoment().segment(), mlp.flatSize());
        v.upload(host.optimizer.secondMoment().segment(), mlp.flatSize());
    }

    /** Copies weights, EMA and Adam moments to the host trainer (for a checkpoint or sampling). */
    public void toHost() {
        mlp.downloadWeights(host.mlp.params().values());
        ema.download(host.ema.weights().segment(), mlp.flatSize());
        m.download(host.optimizer.firstMoment().segment(), mlp.flatSize());
        v.download(host.optimizer.secondMoment().segment(), mlp.flatSize());
    }

    /** Completed optimizer steps. */
    public long step() { return host.optimizer.steps(); }

    /**
     * One training step, issued to the GPU without waiting. Every {@code lossEvery} steps the
     * mean loss since the last read is fetched (and checked for divergence); in between, the
     * last value read is returned.
     */
    public double trainStep() {
        long k = step() + 1;
        long seed = config.seed();
        gpu.kernels.gatherRows(pool.ptr, poolRows, dim, x1.ptr, batch, seed, 4 * k);
        gpu.kernels.gaussian(x0.ptr, (long) batch * dim, seed, 4 * k + 1, 1f);
        gpu.kernels.time(t.ptr, batch, seed, 4 * k + 2, logitNormal, config.timeLocation(), tMax);
        stepFromBatch(k);
        return ++unreadSteps >= lossEvery ? readLoss() : lastLoss;
    }

    /** One step from given x0, x1, t (host tensors), for equivalence tests; returns its loss. */
    public double trainStep(Tensor x0Host, Tensor x1Host, Tensor tHost) {
        x0.upload(x0Host.segment(), (long) batch * dim);
        x1.upload(x1Host.segment(), (long) batch * dim);
        t.upload(tHost.segment(), batch);
        stepFromBatch(step() + 1);
        unreadSteps++;
        return readLoss();
    }

    private void stepFromBatch(long k) {
        long n = (long) batch * dim;
        gpu.kernels.otPath(x0.ptr, x1.ptr, t.ptr, xt.ptr, ut.ptr, batch, dim, sigmaMin);
        long out = mlp.forward(acts, xt.ptr, t.ptr, 0f, batch);
        // L = (1/B) Σ_rows ‖v − u‖²  ⇒  dL/dv = 2(v − u)/B
        gpu.kernels.mseGrad(out, ut.ptr, dv.ptr, n, 1f / batch, 1f / batch, scalars.ptr);
        mlp.backward(acts, dv.ptr, false, batch);
        long flat = mlp.flatSize();
        if (config.maxGradNorm() > 0) {
            gpu.zero(scalars.at(1), 1);
            gpu.kernels.sumSquares(mlp.grads().ptr, flat, scalars.at(1));
            gpu.kernels.clip(mlp.grads().ptr, flat, scalars.at(1), config.maxGradNorm());
        }
        gpu.kernels.adam(mlp.values().ptr, mlp.grads().ptr, m.ptr, v.ptr, flat, host.lrAt(k), host.optimizer.beta1,
                host.optimizer.beta2, host.optimizer.eps, host.optimizer.weightDecay, k);
        float d = (float) Math.min(host.ema.decay(), (1.0 + k) / (10.0 + k));
        gpu.kernels.ema(ema.ptr, mlp.values().ptr, d, flat);
        host.optimizer.setSteps(k);
    }

    /** Waits for the GPU and returns the mean loss of the steps since the last read. */
    public double readLoss() {
        if (unreadSteps == 0) return lastLoss;
        scalars.download(scalarHost, 1);
        gpu.zero(scalars.ptr, 1);
        double loss = scalarHost.get(JAVA_FLOAT, 0) / (double) unreadSteps;
        unreadSteps = 0;
        if (!Double.isFinite(loss))
            throw new TrainingDiverged("loss is " + loss + " by step " + step() + "; the learning rate (lr "
                    + config.lr() + ") is likely too high, or the data has extreme values", "lr");
        lastLoss = loss;
        return loss;
    }

    public double lastLoss() { return unreadSteps > 0 ? readLoss() : lastLoss; }

    @Override
    public void close() {
        for (DeviceTensor d : new DeviceTensor[] {pool, x0, x1, t, xt, ut, dv, m, v, ema, scalars}) d.close();
        acts.close();
        mlp.close();
        arena.close();
    }
}
