package dev.panflow.sampling;

import dev.panflow.UserError;
import dev.panflow.kernels.Elementwise;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.FewStepModel;
import dev.panflow.nn.Mlp;
import dev.panflow.ode.SolveStats;
import dev.panflow.ode.SolverKind;
import dev.panflow.ode.SolverSpec;
import dev.panflow.ode.TimeSchedule;
import dev.panflow.path.AffinePath;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sampling of a few-step model u(x, t, h) (MeanFlow, shortcut): x0 ~ N(0, σ_0² I), then n jumps
 * x_{t+h} = x_t + h·u(x_t, t, h) over the grid t_i = t_max·φ(i/n) of the time schedule φ
 * (uniform: h = t_max/n). One network evaluation per step. An MLP's chunks of rows run on its
 * pool, each thread with its own activations; another {@link FewStepModel} (the U-Net) takes
 * {@link Sampler#IMAGE_CHUNK} rows per pass on the calling thread (its layers use the pool). Rows
 * are independent, so results do not depend on the thread count.
 */
public final class FewStepSampler implements FlowSampler {
    private final Mlp mlp;            // the MLP's fast path, or null
    private final FewStepModel model; // any other few-step model (mlp == null)
    private final String objective;
    private final boolean powerOfTwoSteps;
    private final Body body = new Body();

    /**
     * {@code objective} names the model in messages; {@code powerOfTwoSteps}: the model was
     * trained for step counts 1, 2, 4, … only (shortcut models), others are refused.
     */
    public FewStepSampler(Mlp mlp, String objective, boolean powerOfTwoSteps) {
        if (mlp.config.timeInputs() != 2) throw new IllegalArgumentException("a few-step model has two time inputs (t, h)");
        this.mlp = mlp;
        this.model = null;
        this.objective = objective;
        this.powerOfTwoSteps = powerOfTwoSteps;
    }

    /** Any few-step model (e.g. a MeanFlow U-Net), with labels per sample for a conditional one. */
    public FewStepSampler(FewStepModel model, String objective, boolean powerOfTwoSteps) {
        this.mlp = null;
        this.model = model;
        this.objective = objective;
        this.powerOfTwoSteps = powerOfTwoSteps;
    }

    @Override
    public Sampler.Result sample(AffinePath path, SolverSpec solver, int n, long seed, int[] labels, float guidance, Workspace ws) {
        if (mlp != null && (labels != null || guidance != 0)) throw new UserError("an MLP model takes no class labels or guidance");
        if (guidance != 0) throw new UserError("a " + objective + " model samples without classifier-free guidance (guidance 0)");
        if (solver.kind() != SolverKind.EULER)
            throw new UserError("a " + objective + " model samples with its own few-step rule x ← x + h·u(x, t, h), not solver "
                    + solver.kind().id() + ": choose the steps (1, 2, 4, …) and leave the solver at euler");
        int steps = solver.steps();
        if (powerOfTwoSteps && Integer.bitCount(steps) != 1)
            throw new UserError("a " + objective + " model is trained for 1, 2, 4, 8, … steps (powers of two), not " + steps);
        int dim = mlp != null ? mlp.dim() : model.dim();
        Tensor x = ws.tensor(n, dim);
        new Rng(seed).fillGaussian(x.segment(), x.size(), path.noiseStd());
        long start = System.nanoTime();
        if (mlp == null) {
            sampleModel(x, n, steps, solver.schedule(), path.tMax(), labels);
            return new Sampler.Result(x, new SolveStats(steps, steps, 0), (System.nanoTime() - start) * 1e-9);
        }
        Pool pool = mlp.pool();
        int slots = pool == null ? 1 : pool.threads();
        int chunk = Math.min(n, Sampler.chunkRows(mlp.config.hidden()));
        Mlp.Activations[] acts = new Mlp.Activations[slots];
        for (int s = 0; s < slots; s++) acts[s] = mlp.activations(ws, chunk);
        mlp.prepackWeights();
        TimeSchedule sched = solver.schedule();
        float tMax = path.tMax();
        int count = (n + chunk - 1) / chunk;
        for (int i = 0; i < steps; i++) {
            double a = tMax * sched.at((double) i / steps), b = tMax * sched.at((double) (i + 1) / steps);
            body.set(x.segment(), acts, n, chunk, (float) a, (float) (b - a));
            if (pool == null || count == 1) body.range(0, 1);
            else pool.parallelFor(Math.min(slots, count), 1, body);
        }
        body.clear();
        return new Sampler.Result(x, new SolveStats(steps, steps, 0), (System.nanoTime() - start) * 1e-9);
    }

    /** The generic path: chunks of {@link Sampler#IMAGE_CHUNK} rows through {@link FewStepModel#forward}, step by step. */
    private void sampleModel(Tensor x, int n, int steps, TimeSchedule sched, float tMax, int[] labels) {
        int dim = model.dim(), chunk = Math.min(n, Sampler.IMAGE_CHUNK);
        model.reserve(chunk);
        try (Workspace ws = new Workspace()) {
            MemorySegment ts = ws.tensor(chunk).segment(), hs = ws.tensor(chunk).segment();
            for (int i = 0; i < steps; i++) {
                double a = tMax * sched.at((double) i / steps), b = tMax * sched.at((double) (i + 1) / steps);
                float h = (float) (b - a);
                Elementwise.fill(ts, (float) a, chunk);
                Elementwise.fill(hs, h, chunk);
                for (int r0 = 0; r0 < n; r0 += chunk) {
                    int m = Math.min(chunk, n - r0);
                    MemorySegment xc = x.segment().asSlice(4L * r0 * dim, 4L * m * dim);
                    int[] lc = labels == null ? null : java.util.Arrays.copyOfRange(labels, r0, r0 + m);
                    MemorySegment u = model.forward(xc, ts, hs, lc, m);
                    Elementwise.axpy(h, u, xc, (long) m * dim);   // x ← x + h·u
                }
            }
        }
    }

    /** One step over every chunk: slot {@code from} takes chunks until none is left. */
    private final class Body implements Pool.RangeBody {
        final AtomicInteger next = new AtomicInteger();
        MemorySegment x;
        Mlp.Activations[] acts;
        int rows, chunk, count;
        float t, h;

        void set(MemorySegment x, Mlp.Activations[] acts, int rows, int chunk, float t, float h) {
            this.x = x;
            this.acts = acts;
            this.rows = rows;
            this.chunk = chunk;
            this.count = (rows + chunk - 1) / chunk;
            this.t = t;
            this.h = h;
            next.set(0);
        }

        void clear() {
            x = null;
            acts = null;
        }

        @Override
        public void range(int from, int to) {
            int dim = mlp.dim();
            for (int s = from; s < to; s++)
                for (int c; (c = next.getAndIncrement()) < count; ) {
                    int r0 = c * chunk, m = Math.min(chunk, rows - r0);
                    MemorySegment u = mlp.forwardSerial(acts[s], x, r0, null, t, h, m, true);
                    Elementwise.axpy(h, u, x.asSlice(4L * r0 * dim, 4L * m * dim), (long) m * dim);   // x ← x + h·u
                }
        }
    }
}
