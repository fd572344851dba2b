package dev.panflow.bench.kernels;

import dev.panflow.bench.Jvm;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The register-only FMA loop of {@link FmaPeak} under JMH; {@code gflops} is the peak.
 * 256-bit on an AVX-512 machine: {@code bench/jmh FmaPeakBenchmark -jvmArgsAppend -XX:UseAVX=2}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = {Jvm.VECTOR, Jvm.NATIVE})
public class FmaPeakBenchmark {
    private static final long ITERS = 1 << 16;
    private float seed = 1;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Flops {
        public double gflops;
    }

    @Benchmark
    public float fma(Flops f) {
        float r = FmaPeak.kernel(ITERS, seed);
        f.gflops += FmaPeak.flops(ITERS) * 1e-9;
        return r;
    }
}
