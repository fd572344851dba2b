package dev.panflow.bench.train;

import dev.panflow.bench.Benchmarks;
import dev.panflow.bench.Jvm;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import dev.panflow.train.CfmTrainer;
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
 * One CFM training step (draws, forward, loss, backward, Adam) on the PyTorch reference's
 * configurations, as {@code dim x hidden x batch}. With {@code -prof gc},
 * {@code gc.alloc.rate.norm} is the Java-heap bytes one step allocates (target: under 256 B/op).
 * Quick run: {@code bench/jmh TrainStepBenchmark -p shape=2x128x256 -f 1 -wi 3 -i 3 -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsPrepend = {Jvm.VECTOR, Jvm.NATIVE})
public class TrainStepBenchmark {
    @Param({"2x512x4096", "2x128x256", "784x1024x256"})
    public String shape;

    @Param({"2"})
    public int threads;

    private Pool pool;
    private CfmTrainer trainer;

    @Setup
    public void setUp() {
        String[] p = shape.split("x");
        int dim = Integer.parseInt(p[0]), hidden = Integer.parseInt(p[1]), batch = Integer.parseInt(p[2]);
        pool = new Pool(threads);
        trainer = new CfmTrainer(Benchmarks.trainConfig(dim, hidden, batch, 0), Benchmarks.data(dim), Paths.byName("ot"), pool);
    }

    @Benchmark
    public double step() { return trainer.trainStep(); }

    @TearDown
    public void tearDown() {
        trainer.close();
        pool.close();
    }
}
