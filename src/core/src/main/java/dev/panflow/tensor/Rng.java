package dev.panflow.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * xoshiro256** (Blackman and Vigna): a small, fast generator whose state is four longs, so it
 * can be saved in a checkpoint and a resumed run continues the same stream bit for bit.
 * Not thread-safe: one per thread of work. Allocation-free.
 */
public final class Rng {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private long s0, s1, s2, s3;
    private double spare;
    private boolean hasSpare;

    public Rng(long seed) { reseed(seed); }

    /** Restarts the stream as {@code new Rng(seed)} would, without allocating. */
    public void reseed(long seed) {
        hasSpare = false;
        spare = 0;
        // splitmix64 spreads the seed over the state, as the xoshiro authors advise.
        long z = seed;
        s0 = splitmix(z += 0x9E3779B97F4A7C15L);
        s1 = splitmix(z += 0x9E3779B97F4A7C15L);
        s2 = splitmix(z += 0x9E3779B97F4A7C15L);
        s3 = splitmix(z += 0x9E3779B97F4A7C15L);
    }

    /** The splitmix64 finaliser: a bijective 64-bit mix (also keys per-row streams, e.g. dropout masks). */
    public static long splitmix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() { return (nextLong() >>> 40) * 0x1.0p-24f; }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() { return (nextLong() >>> 11) * 0x1.0p-53; }

    /** Uniform integer in [0, bound). */
    public int nextInt(int bound) { return (int) (((nextLong() >>> 33) * bound) >>> 31); }

    /** Standard normal by the Marsaglia polar method (pairs; the spare is kept). */
    public double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spare;
        }
        double u, v, s;
        do {
            u = 2 * nextDouble() - 1;
            v = 2 * nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double m = Math.sqrt(-2 * Math.log(s) / s);
        spare = v * m;
        hasSpare = true;
        return u * m;
    }

    /** Fills n floats of {@code out} with N(0, std²). */
    public void fillGaussian(MemorySegment out, long n, float std) {
        for (long i = 0; i < n; i++) out.setAtIndex(F32, i, (float) (std * nextGaussian()));
    }

    /** Fills n floats of {@code out} with U[lo, hi). */
    public void fillUniform(MemorySegment out, long n, float lo, float hi) {
        float w = hi - lo;
        for (long i = 0; i < n; i++) out.setAtIndex(F32, i, lo + w * nextFloat());
    }

    /** The whole state, for checkpoints: four state words, the spare's bits and its flag. */
    public long[] state() {
        return new long[] {s0, s1, s2, s3, Double.doubleToRawLongBits(spare), hasSpare ? 1 : 0};
    }

    public void setState(long[] st) {
        if (st.length != 6) throw new IllegalArgumentException("Rng state has 6 words, got " + st.length);
        s0 = st[0]; s1 = st[1]; s2 = st[2]; s3 = st[3];
        spare = Double.longBitsToDouble(st[4]);
        hasSpare = st[5] != 0;
    }
}
