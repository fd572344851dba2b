package dev.panflow.bench.kernels;

import dev.panflow.bench.Jvm;
import dev.panflow.kernels.MatMul;
import dev.panflow.kernels.Pool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * Panflow's multi-threaded GEMM ({@link MatMul}) per layout, shape and thread count. The score is
 * calls per second; the {@code gflops} secondary metric is the same in GFLOP/s (2·m·n·k per call).
 * Quick run: {@code bench/jmh GemmBenchmark -p shape=512x512x512 -p threads=1 -f 1 -wi 2 -i 3}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {Jvm.VECTOR, Jvm.NATIVE})
public class GemmBenchmark {
    @Param({"nn", "tn", "nt"})
    public String layout;

    @Param({"256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048",
            "4096x512x512", "512x512x4096",
            "256x1024x1024", "256x1024x784", "784x1024x256", "256x784x1024",
            "256x128x128"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    private Arena arena;
    private Pool pool;
    private MatMul mm;
    private MemorySegment a, b, c;
    private int m, n, k;
    private double gflopPerCall;

    /** GFLOP done, reported by JMH as a rate (GFLOP/s) beside the calls/s score. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Flops {
        public double gflops;
    }

    @Setup(Level.Trial)
    public void setUp() {
        GemmShape s = GemmShape.parse(shape);
        m = s.m();
        n = s.n();
        k = s.k();
        gflopPerCall = s.flops() * 1e-9;
        arena = Arena.ofShared();
        pool = new Pool(threads);
        mm = new MatMul(pool);
        a = random(arena, (long) m * k, 1);
        b = random(arena, (long) k * n, 2);
        c = arena.allocate(4L * m * n, 64);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public MemorySegment gemm(Flops f) {
        switch (layout) {
            case "nn" -> mm.nn(a, b, c, m, n, k, false);
            case "tn" -> mm.tn(a, b, c, m, n, k, false);
            case "nt" -> mm.nt(a, b, c, m, n, k, false);
            default -> throw new IllegalArgumentException("layout must be nn, tn or nt: " + layout);
        }
        f.gflops += gflopPerCall;
        return c;
    }

    static MemorySegment random(Arena arena, long floats, long seed) {
        MemorySegment s = arena.allocate(4 * floats, 64);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < floats; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextDouble() * 2 - 1));
        return s;
    }
}
