package dev.panflow.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * xoshiro256** (Blackman and Vigna): a small, fast generator whose state is four longs, so it
 * can be saved in a checkpoint and a resumed run continues the same stream bit for bit.
 * Not thread-safe: one per thread of work. Allocation-free, but for small scratch arrays made at
 * its first fill of {@link #BATCHED} or more normals.
 */
public final class Rng {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private long s0, s1, s2, s3;
    private double spare;
    private boolean hasSpare;
    /** Fills of this many normals or more draw them in batches (the same stream; see {@link #gaussians}). */
    static final int BATCHED = 1024;
    private static final int CHUNK = 512;   // polar attempts per batch
    private double[] us, vs, ss, gs;        // made at the first batched fill

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

    /** Fills n floats of {@code out} with N(0, std²): (float) (std · nextGaussian()) each, in order. */
    public void fillGaussian(MemorySegment out, long n, float std) {
        fillGaussian(out, n, -0.0, std);   // −0 + y = y exactly for every y (+0 + (−0) would be +0)
    }

    /** Fills n floats of {@code out} with N(mean, std²): (float) (mean + std · nextGaussian()) each, in order. */
    public void fillGaussian(MemorySegment out, long n, double mean, double std) {
        if (n < BATCHED) {
            for (long i = 0; i < n; i++) out.setAtIndex(F32, i, (float) (mean + std * nextGaussian()));
            return;
        }
        for (long i = 0; i < n; ) {
            int len = (int) Math.min(2 * CHUNK, n - i);
            gaussians(len);
            for (int j = 0; j < len; j++) out.setAtIndex(F32, i + j, (float) (mean + std * gs[j]));
            i += len;
        }
    }

    /**
     * gs[0..n) = the next n values of {@link #nextGaussian}, leaving the same state (spare included).
     * The polar method's attempts are drawn first, the accepted ones kept without a branch, then
     * transformed: the rejection test no longer mispredicts inside the chain of log, divide and
     * square root, and consecutive pairs' transforms overlap. Never more attempts than the serial
     * method would use: a batch holds at most as many as normals are still owed, halved.
     */
    private void gaussians(int n) {
        if (gs == null) { us = new double[CHUNK]; vs = new double[CHUNK]; ss = new double[CHUNK]; gs = new double[2 * CHUNK]; }
        int i = 0;
        if (hasSpare) { gs[i++] = spare; hasSpare = false; }
        while (i < n) {
            int attempts = Math.min(CHUNK, (n - i + 1) / 2), kept = 0;
            for (int a = 0; a < attempts; a++) {
                double u = 2 * nextDouble() - 1, v = 2 * nextDouble() - 1, s = u * u + v * v;
                us[kept] = u; vs[kept] = v; ss[kept] = s;
                kept += (s < 1 & s != 0) ? 1 : 0;
            }
            for (int a = 0; a < kept; a++) {
                double m = Math.sqrt(-2 * Math.log(ss[a]) / ss[a]);
                gs[i++] = us[a] * m;
                spare = vs[a] * m;   // as nextGaussian: the spare's bits stay in the state once used (checkpoints hold them)
                if (i < n) gs[i++] = spare;
                else hasSpare = true;
            }
        }
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
