package dev.panflow.train;

import dev.panflow.UserError;
import dev.panflow.data.DataSource;
import dev.panflow.data.ImageDataSource;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.AdamW;
import dev.panflow.nn.Ema;
import dev.panflow.nn.GradClip;
import dev.panflow.nn.FlowModel;
import dev.panflow.nn.Mlp;
import dev.panflow.nn.MlpModel;
import dev.panflow.nn.UNet;
import dev.panflow.path.AffinePath;
import dev.panflow.path.Coupling;
import dev.panflow.data.PairedDataSource;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;

/**
 * Conditional Flow Matching training (Lipman et al. 2023, eq. 9 with Gaussian paths, Thm. 3):
 * per step, x1 ~ q, x0 ~ N(0, I), t ~ U[0, t_max) (or logit-normal), x_t = σ_t x0 + α_t x1 (so x_0 ~ N(α_0 x1, σ_0² I)),
 * loss = mean_batch ‖v_θ(x_t, t) − (σ'_t x0 + α'_t x1)‖², then AdamW and EMA.
 * Every buffer is made once in the constructor: a step allocates nothing.
 */
public final class CfmTrainer implements AutoCloseable {
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
    private final Tensor x0, x1, t, xt, coef, dv;
    private final int dim;
    private final TimeSampling timeSampling;
    private double lastLoss = Double.NaN;
    private Coupling coupling = Coupling.INDEPENDENT;

    public CfmTrainer(TrainConfig config, DataSource data, AffinePath path, Pool pool) {
        this(config, ModelSpec.MLP, data, path, pool, null);
    }

    /** {@code conv} runs the convolutions of a U-Net (unused by the MLP). */
    public CfmTrainer(TrainConfig config, ModelSpec spec, DataSource data, AffinePath path, Pool pool, ConvKernels conv) {
        this.config = config;
        this.spec = spec;
        this.data = data;
        this.path = path;
        this.dim = data.dim();
        this.timeSampling = config.timeSampler();
        this.rng = new Rng(config.seed());
        if (spec.isUnet()) {
            if (!(data instanceof ImageDataSource img))
                throw new UserError("--model unet needs image data (e.g. --data fashion-mnist), not " + data.name());
            if (spec.conditional() && img.classes() == 0)
                throw new UserError("--conditional needs labelled images; " + data.name() + " has no labels");
            this.mlp = null;
            this.model = new UNet(spec.unet(img.channels(), img.height(), img.width(), config.frequencies(), img.classes()), conv, pool, ws);
        } else {
            this.mlp = new Mlp(config.mlp(dim), pool, ws);
            this.model = new MlpModel(mlp, ws);
        }
        model.init(rng);
        this.optimizer = new AdamW(model.params(), ws, 0.9f, 0.999f, 1e-8f, config.weightDecay(), pool);
        this.ema = new Ema(model.params(), ws, config.emaDecay(), pool);
        int b = config.batch();
        model.reserve(b);
        labels = model.classes() > 0 ? new int[b] : null;
        x0 = ws.tensor(b, dim);
        x1 = ws.tensor(b, dim);
        t = ws.tensor(b);
        xt = ws.tensor(b, dim);
        coef = ws.tensor(b, 4);   // per row (σ'_t, α'_t) as two doubles
        dv = ws.tensor(b, dim);
    }

    /** Completed optimizer steps. */
    public long step() { return optimizer.steps(); }

    /** One CFM training step; returns the batch loss. */
    public double trainStep() {
        int b = config.batch();
        long n = (long) b * dim;
        if (data instanceof PairedDataSource pairs) {
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
            coupling.pair(x0.segment(), x1.segment(), b, dim);
        }
        timeSampling.fill(rng, t.segment(), b, path.tMax(), config.timeLocation());
        path.sampleInputs(x0.segment(), x1.segment(), t.segment(), xt.segment(), coef.segment(), b, dim);
        var v = model.forward(xt.segment(), t.segment(), labels, b);
        // L = (1/B) Σ_rows ‖v − u‖²  ⇒  dL/dv = 2(v − u)/B, with the target u = σ'_t x0 + α'_t x1 built in the same pass
        double loss = AffinePath.lossAndGrad(v, x0.segment(), x1.segment(), coef.segment(), dv.segment(), b, dim, 1f / b) / b;
        long k = optimizer.steps() + 1;
        if (!Double.isFinite(loss))
            throw new TrainingDiverged("loss is " + loss + " at step " + k + "; the learning rate (--lr " + config.lr()
                    + ") is likely too high, or the data has extreme values");
        model.backward(dv.segment(), b);
        double norm = GradClip.clip(model.params(), config.maxGradNorm());
        if (!Double.isFinite(norm))
            throw new TrainingDiverged("gradient norm is " + norm + " at step " + k + "; the learning rate (--lr "
                    + config.lr() + ") is likely too high (lower it, or set --max-grad-norm), or the data has extreme values");
        optimizer.step(config.lrAt(k));
        ema.update(k);
        lastLoss = loss;
        return loss;
    }

    public double lastLoss() { return lastLoss; }

    /** How x0 and x1 are paired in each batch (independent unless set; not used for paired data). */
    public Coupling coupling() { return coupling; }

    public void setCoupling(Coupling coupling) {
        if (coupling == null) throw new IllegalArgumentException("coupling is null");
        if (labels != null && coupling != Coupling.INDEPENDENT)
            throw new UserError("--coupling " + coupling.name() + " cannot train a --conditional model: re-pairing noise and images would separate images from their labels");
        this.coupling = coupling;
    }
    public int dim() { return dim; }

    /** Bytes of off-heap buffers held by this trainer (flat once built). */
    public long workspaceBytes() { return ws.bytes(); }

    @Override
    public void close() { ws.close(); }
}
