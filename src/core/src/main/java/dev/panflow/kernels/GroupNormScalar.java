package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Plain-loop reference twin of {@link GroupNormKernels} (sums in double): same signatures and
 * semantics. A slot is one image's group of C/G channels, slot = image · groups + group.
 */
public final class GroupNormScalar {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** ε of σ² + ε. */
    public static final double EPS = 1e-5;

    private GroupNormScalar() {}

    /** Slots [from, to): mean and 1/√(σ² + ε) into mean/rstd[slot], y = γ_c x̂ + β_c. */
    public static void forward(MemorySegment x, MemorySegment y, MemorySegment gamma, MemorySegment beta, double[] mean, double[] rstd,
                               int channels, int groups, int hw, int from, int to) {
        int cg = channels / groups;
        long m = (long) cg * hw;
        for (int slot = from; slot < to; slot++) {
            int g = slot % groups;
            long base = (long) slot * m;
            double s = 0, ss = 0;
            for (long p = 0; p < m; p++) {
                double v = x.getAtIndex(F, base + p);
                s += v;
                ss += v * v;
            }
            double mu = s / m, var = Math.max(0, ss / m - mu * mu), r = 1 / Math.sqrt(var + EPS);
            mean[slot] = mu;
            rstd[slot] = r;
            for (int c = 0; c < cg; c++) {
                int ch = g * cg + c;
                float a = (float) (gamma.getAtIndex(F, ch) * r);
                float b = (float) (beta.getAtIndex(F, ch) - mu * gamma.getAtIndex(F, ch) * r);
                long o = base + (long) c * hw;
                for (int p = 0; p < hw; p++) y.setAtIndex(F, o + p, a * x.getAtIndex(F, o + p) + b);
            }
        }
    }

    /**
     * Forward mode for slots [from, to) through the forward pass that left mean/rstd:
     * ẏ = γ_c·r·(ẋ − mean(ẋ) − x̂·mean(x̂ ẋ)), means over the group.
     */
    public static void jvp(MemorySegment x, MemorySegment dx, MemorySegment dy, MemorySegment gamma, double[] mean, double[] rstd,
                           int channels, int groups, int hw, int from, int to) {
        int cg = channels / groups;
        long m = (long) cg * hw;
        for (int slot = from; slot < to; slot++) {
            int g = slot % groups;
            long base = (long) slot * m;
            double mu = mean[slot], r = rstd[slot];
            double s = 0, sx = 0;
            for (long p = 0; p < m; p++) {
                double d = dx.getAtIndex(F, base + p);
                s += d;
                sx += d * (x.getAtIndex(F, base + p) - mu) * r;
            }
            double md = s / m, mdx = sx / m;
            for (int c = 0; c < cg; c++) {
                double gr = gamma.getAtIndex(F, g * cg + c) * r;
                long o = base + (long) c * hw;
                for (int p = 0; p < hw; p++) {
                    double xh = (x.getAtIndex(F, o + p) - mu) * r;
                    dy.setAtIndex(F, o + p, (float) (gr * (dx.getAtIndex(F, o + p) - md - xh * mdx)));
                }
            }
        }
    }

    /**
     * Backward for slots [from, to): dx = r·(g − mean(g) − x̂·mean(g x̂)) with g = γ_c dy; the
     * image's Σ dy and Σ dy·x̂ per channel into dBeta/dGamma[image · channels + channel] (the
     * caller sums them over images).
     */
    public static void backward(MemorySegment x, MemorySegment dy, MemorySegment dx, MemorySegment gamma, double[] mean, double[] rstd,
                                double[] dGamma, double[] dBeta, int channels, int groups, int hw, int from, int to) {
        int cg = channels / groups;
        long m = (long) cg * hw;
        for (int slot = from; slot < to; slot++) {
            int g = slot % groups;
            long base = (long) slot * m;
            int row = slot / groups * channels;
            double mu = mean[slot], r = rstd[slot];
            double sumG = 0, sumGx = 0;
            for (int c = 0; c < cg; c++) {
                int ch = g * cg + c;
                long o = base + (long) c * hw;
                double s1 = 0, s2 = 0;
                for (int p = 0; p < hw; p++) {
                    double d = dy.getAtIndex(F, o + p), xh = (x.getAtIndex(F, o + p) - mu) * r;
                    s1 += d;
                    s2 += d * xh;
                }
                double gm = gamma.getAtIndex(F, ch);
                dBeta[row + ch] = s1;
                dGamma[row + ch] = s2;
                sumG += gm * s1;
                sumGx += gm * s2;
            }
            double mg = sumG / m, mgx = sumGx / m;
            for (int c = 0; c < cg; c++) {
                double gm = gamma.getAtIndex(F, g * cg + c);
                long o = base + (long) c * hw;
                for (int p = 0; p < hw; p++) {
                    double xh = (x.getAtIndex(F, o + p) - mu) * r;
                    dx.setAtIndex(F, o + p, (float) (r * (gm * dy.getAtIndex(F, o + p) - mg - xh * mgx)));
                }
            }
        }
    }

    /** {@link #forward} into a, then y = silu(a) and gate = σ(a) (not kept when gate is null). */
    public static void forwardSilu(MemorySegment x, MemorySegment a, MemorySegment gate, MemorySegment y, MemorySegment gamma,
                                   MemorySegment beta, double[] mean, double[] rstd, int channels, int groups, int hw, int from, int to) {
        forward(x, a, gamma, beta, mean, rstd, channels, groups, hw, from, to);
        long m = (long) channels / groups * hw, off = from * m, len = (to - from) * m;
        if (gate == null) ElementwiseScalar.silu(slice(a, off, len), slice(y, off, len), len);
        else ElementwiseScalar.siluWithGate(slice(a, off, len), slice(gate, off, len), slice(y, off, len), len);
    }

    /** dy ← dy·silu'(a) (from the gate, or σ(a) when gate is null), then {@link #backward} of it. */
    public static void backwardSilu(MemorySegment x, MemorySegment a, MemorySegment gate, MemorySegment dy, MemorySegment dx,
                                    MemorySegment gamma, double[] mean, double[] rstd, double[] dGamma, double[] dBeta, int channels,
                                    int groups, int hw, int from, int to) {
        long m = (long) channels / groups * hw, off = from * m, len = (to - from) * m;
        MemorySegment d = slice(dy, off, len);
        if (gate == null) ElementwiseScalar.siluBackward(slice(a, off, len), d, d, len);
        else ElementwiseScalar.siluBackwardWithGate(slice(a, off, len), slice(gate, off, len), d, d, len);
        backward(x, dy, dx, gamma, mean, rstd, dGamma, dBeta, channels, groups, hw, from, to);
    }

    private static MemorySegment slice(MemorySegment s, long off, long len) { return s.asSlice(4 * off, 4 * len); }
}
