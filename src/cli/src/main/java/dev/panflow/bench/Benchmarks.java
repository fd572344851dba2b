package dev.panflow.bench;

import dev.panflow.data.Checkerboard;
import dev.panflow.data.DataSource;
import dev.panflow.data.ShiftedGaussian;
import dev.panflow.kernels.DenseGemm;
import dev.panflow.kernels.JvmDense;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.Mlp;
import dev.panflow.nn.MlpConfig;
import dev.panflow.nn.MlpVelocityField;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.Solvers;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import dev.panflow.train.CfmTrainer;
import dev.panflow.train.ModelSpec;
import dev.panflow.train.Objective;
import dev.panflow.sampling.Sampler;
import dev.panflow.train.LrSchedule;
import dev.panflow.train.TimeSampling;
import dev.panflow.train.TrainConfig;
import java.util.Arrays;

/**
 * The measurements behind {@code panflow bench}. Each warms up first (until the JIT has
 * compiled the kernels), then times {@code repeats} repeats and reports the median. The
 * training and sampling set-ups are those of the PyTorch reference
 * ({@code bench/peer_torch_cfm.py bench}): concat(x, t) → H → H → H → D with SiLU, OT path
 * (σ_min = 1e-4), uniform t, Adam lr 1e-3, no EMA, no clipping, no weight decay; a step
 * includes drawing x1, x0 and t. {@code dense} is the dense layers' GEMM (a backend's, e.g.
 * oneDNN's), or null for the JVM's.
 */
public final class Benchmarks {
    /** Called after every timed or warm-up unit, for a progress bar. */
    public interface Tick { void tick(); }

    private Benchmarks() {}

    /** Multiply-add FLOPs (2 per MAC) of one forward pass of the GEMMs, as the reference counts them. */
    public static double forwardFlops(int dim, int hidden, long rows) {
        double macs = (dim + 1.0) * hidden + 2.0 * hidden * hidden + (double) hidden * dim;
        return 2.0 * rows * macs;
    }

    /** The reference's training config for a model of this shape. */
    public static TrainConfig trainConfig(int dim, int hidden, int batch, long seed) {
        return new TrainConfig(dim == 2 ? "checkerboard" : "gaussian" + dim, "ot", hidden, 3, "concat", 1, batch,
                Long.MAX_VALUE / 2, 1e-3f, LrSchedule.CONSTANT, 0, 0f, 0f, 0f, seed, 0, TimeSampling.UNIFORM, 0f);
    }

    /** Checkerboard for dim 2, else N(0, I)·2 + 1 (the reference's data). */
    public static DataSource data(int dim) {
        return dim == 2 ? new Checkerboard() : new ShiftedGaussian(dim, 1f, 2f);
    }

    /** C[m×n] = A[m×k]·B[k×n] on the pool. */
    public static BenchResult gemm(Pool pool, DenseGemm dense, int m, int k, int n, int repeats, Tick tick) {
        try (Workspace ws = new Workspace()) {
            Tensor a = ws.tensor(m, k), b = ws.tensor(k, n), c = ws.tensor(m, n);
            Rng rng = new Rng(1);
            rng.fillUniform(a.segment(), a.size(), -1, 1);
            rng.fillUniform(b.segment(), b.size(), -1, 1);
            DenseGemm mm = dense == null ? new JvmDense(pool) : dense;
            double flops = 2.0 * m * k * n;
            warm(() -> mm.nn(a.segment(), b.segment(), c.segment(), m, n, k, false), 1.0, 3, tick);
            double[] t = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                mm.nn(a.segment(), b.segment(), c.segment(), m, n, k, false);
                t[r] = (System.nanoTime() - t0) * 1e-9;
                tick.tick();
            }
            double med = median(t);
            return new BenchResult(String.format("sgemm %dx%d@%dx%d", m, k, k, n), 0, 0, 0, pool.threads(), med,
                    flops / med / 1e9, "GFLOP/s", flops / med / 1e9, t, mm.name());
        }
    }

    /** Training steps per second; each repeat times {@code stepsPerRepeat} steps. */
    public static BenchResult train(Pool pool, DenseGemm dense, int dim, int hidden, int batch, int stepsPerRepeat, int repeats,
                                    double warmupSeconds, long seed, Tick tick) {
        try (CfmTrainer tr = new CfmTrainer(trainConfig(dim, hidden, batch, seed), ModelSpec.MLP, data(dim), Paths.byName("ot"), pool,
                null, dev.panflow.dist.Collective.SINGLE, Objective.CFM, dense)) {
            warm(tr::trainStep, warmupSeconds, 3, tick);
            double[] t = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < stepsPerRepeat; i++) tr.trainStep();
                t[r] = (System.nanoTime() - t0) * 1e-9;
                tick.tick();
            }
            double perStep = median(t) / stepsPerRepeat;
            return new BenchResult("train_step", dim, hidden, batch, pool.threads(), perStep, 1 / perStep, "steps/s",
                    3 * forwardFlops(dim, hidden, batch) / perStep / 1e9, t, name(dense));
        }
    }

    /** Sampling throughput: one run integrates {@code points} points from t = 0 to 1. */
    public static BenchResult sample(Pool pool, DenseGemm dense, String solver, int steps, int dim, int hidden, int points, int repeats,
                                     double warmupSeconds, long seed, Tick tick) {
        try (Workspace ws = new Workspace(); OdeSolver ode = Solvers.byName(solver, steps, 1e-5, 1e-5)) {
            Mlp mlp = new Mlp(new MlpConfig(dim, hidden, 3, "concat", 1), pool, ws, dense);
            Rng rng = new Rng(seed);
            mlp.init(rng);
            Tensor x0 = ws.tensor(points, dim), x = ws.tensor(points, dim);
            rng.fillGaussian(x0.segment(), x0.size(), 1f);
            MlpVelocityField field = new MlpVelocityField(mlp, ws, Math.min(points, Sampler.chunkRows(hidden)));
            Runnable run = () -> {
                x.copyFrom(x0);
                ode.solve(field, x.segment(), points, 0f, 1f);
            };
            warm(run, warmupSeconds, 1, tick);
            double[] t = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                run.run();
                t[r] = (System.nanoTime() - t0) * 1e-9;
                tick.tick();
            }
            int nfe = solver.equals("rk4") ? 4 * steps : solver.equals("euler") ? steps : -1;
            double med = median(t);
            String what = solver.equals("rk4") ? "sample_rk4_" + steps : "sample_" + solver + steps;
            return new BenchResult(what, dim, hidden, points, pool.threads(), med, points / med,
                    "samples/s (one run = " + nfe + " NFE)", nfe * forwardFlops(dim, hidden, points) / med / 1e9, t, name(dense));
        }
    }

    private static String name(DenseGemm dense) { return dense == null ? "jvm" : dense.name(); }

    /** Runs {@code unit} at least {@code minRuns} times and until {@code seconds} have passed. */
    private static void warm(Runnable unit, double seconds, int minRuns, Tick tick) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        for (int i = 0; i < minRuns || System.nanoTime() < end; i++) unit.run();
        tick.tick();
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }
}
