package dev.panflow.bench.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * This machine's single-thread float32 FMA peak, measured: a loop of vector FMAs on registers
 * only (no loads or stores), with 12 independent accumulator chains, more than latency × FMA
 * ports (4 × 2 on Zen 3) needs. The reported clock is not the boost clock, so this number, not
 * a datasheet one, is what GEMM fractions are quoted against.
 *
 * <p>Runs at {@code SPECIES_PREFERRED}: start the JVM with {@code -XX:UseAVX=2} (or
 * {@code -XX:MaxVectorSize=32}) to measure 256-bit vectors on an AVX-512 machine.
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** FMAs per loop iteration: one per accumulator. */
    static final int CHAINS = 12;

    private FmaPeak() {}

    /** Vector width in bits of the species the kernels use in this JVM. */
    public static int vectorBits() {
        return S.vectorBitSize();
    }

    /** Flops one call of {@link #kernel} does with {@code iters} iterations. */
    public static double flops(long iters) {
        return 2.0 * CHAINS * S.length() * iters;
    }

    /**
     * x ← m·a + x on 12 registers, {@code iters} times: the accumulator is the addend, as in
     * GEMM's micro-kernel (on Zen 1 the form x ← x·m + a ran at 60–80 % of this). The values
     * grow by m·a per iteration and stay normal. Returns a sum so nothing is dead code.
     */
    public static float kernel(long iters, float seed) {
        FloatVector m = FloatVector.broadcast(S, 0.999f), a = FloatVector.broadcast(S, 1e-3f);
        FloatVector x0 = FloatVector.broadcast(S, seed), x1 = x0.add(1), x2 = x0.add(2), x3 = x0.add(3);
        FloatVector x4 = x0.add(4), x5 = x0.add(5), x6 = x0.add(6), x7 = x0.add(7);
        FloatVector x8 = x0.add(8), x9 = x0.add(9), x10 = x0.add(10), x11 = x0.add(11);
        for (long i = 0; i < iters; i++) {
            x0 = m.fma(a, x0); x1 = m.fma(a, x1); x2 = m.fma(a, x2); x3 = m.fma(a, x3);
            x4 = m.fma(a, x4); x5 = m.fma(a, x5); x6 = m.fma(a, x6); x7 = m.fma(a, x7);
            x8 = m.fma(a, x8); x9 = m.fma(a, x9); x10 = m.fma(a, x10); x11 = m.fma(a, x11);
        }
        return x0.add(x1).add(x2).add(x3).add(x4).add(x5).add(x6).add(x7)
                .add(x8).add(x9).add(x10).add(x11).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    /**
     * Median GFLOP/s of {@code samples} timed calls of about 20 ms each, after a warm-up that
     * lets C2 compile {@link #kernel}.
     */
    public static double measure(int samples) {
        return measure(samples, Clock.WALL);
    }

    /** As {@link #measure(int)}, timed by {@code clock}. */
    public static double measure(int samples, Clock clock) {
        long iters = 1L << 20;
        float sink = 0;
        for (int w = 0; w < 200; w++) sink += kernel(1 << 14, w);   // C2 compiles the method
        long t0 = System.nanoTime();
        sink += kernel(iters, 1);
        double sec = (System.nanoTime() - t0) * 1e-9;
        iters = Math.max(1 << 16, (long) (iters * 0.02 / sec));
        double[] g = new double[samples];
        for (int s = 0; s < samples; s++) {
            long t = clock.now();
            sink += kernel(iters, s);
            g[s] = flops(iters) / ((clock.now() - t) * 1e-9) * 1e-9;
        }
        if (sink == 42.4242f) System.out.print("");
        return Stats.median(g);
    }

    /** Prints the peak: {@code java ... FmaPeak [samples [wall|cpu]]}. */
    public static void main(String[] args) {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 25;
        Clock clock = args.length > 1 ? Clock.parse(args[1]) : Clock.WALL;
        System.out.printf("FMA peak, 1 thread, %d-bit vectors: %.1f GFLOP/s (median of %d, %s time)%n",
                vectorBits(), measure(samples, clock), samples, clock.name().toLowerCase());
    }
}
