package dev.panflow.bench.train;

import dev.panflow.bench.Jvm;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.Mlp;
import dev.panflow.nn.MlpConfig;
import dev.panflow.nn.MlpVelocityField;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.Solvers;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import dev.panflow.sampling.Sampler;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One solver step (Euler: 1 NFE, RK4: 4 NFE) over 16384 points of the reference's sampling
 * model (dim 2, hidden 128, 3 hidden layers, as `bench/compare`). With {@code -prof gc}, {@code gc.alloc.rate.norm}
 * is the Java-heap bytes one step allocates (target: under 256 B/op).
 * Quick run: {@code bench/jmh SolverStepBenchmark -f 1 -wi 3 -i 3 -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsPrepend = {Jvm.VECTOR, Jvm.NATIVE})
public class SolverStepBenchmark {
    @Param({"euler", "rk4"})
    public String solver;

    @Param({"16384"})
    public int points;

    @Param({"2"})
    public int threads;

    private Pool pool;
    private Workspace ws;
    private OdeSolver ode;
    private MlpVelocityField field;
    private Tensor x;
    private int step;

    @Setup
    public void setUp() {
        pool = new Pool(threads);
        ws = new Workspace();
        Mlp mlp = new Mlp(new MlpConfig(2, 128, 3, "concat", 1), pool, ws);
        Rng rng = new Rng(0);
        mlp.init(rng);
        x = ws.tensor(points, 2);
        rng.fillGaussian(x.segment(), x.size(), 1f);
        field = new MlpVelocityField(mlp, ws, Math.min(points, Sampler.chunkRows(128)));
        ode = Solvers.byName(solver, 1, 1e-5, 1e-5);
    }

    /** One step of width 1/100 along t; t wraps so the points stay near the flow's range. */
    @Benchmark
    public Tensor step() {
        float t0 = (step++ % 100) / 100f;
        ode.solve(field, x.segment(), points, t0, t0 + 0.01f);
        return x;
    }

    @TearDown
    public void tearDown() {
        ode.close();
        ws.close();
        pool.close();
    }
}
