package dev.panflow.eval;

import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * KID (Bińkowski et al. 2018): the unbiased estimate of MMD² with the cubic polynomial kernel
 * k(x, y) = (xᵀy / d + 1)³, averaged over random subsets of m rows from each set:
 * MMD²ᵤ = Σ_{i≠j} k(xi, xj)/(m(m−1)) + Σ_{i≠j} k(yi, yj)/(m(m−1)) − 2 Σ_{i,j} k(xi, yj)/m².
 * Unlike FID it is unbiased at small sample counts, and can be slightly negative.
 */
public final class KernelDistance {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Mean and standard deviation of MMD² over the subsets. */
    public record Estimate(double mean, double std, int subsets, int subsetSize) {}

    private KernelDistance() {}

    /** {@code subsets} draws of {@code subsetSize} rows (at most the smaller set) from x [nx × d] and y [ny × d]. */
    public static Estimate of(MemorySegment x, int nx, MemorySegment y, int ny, int d, int subsets, int subsetSize, long seed) {
        int m = Math.min(subsetSize, Math.min(nx, ny));
        if (m < 2) throw new IllegalArgumentException("KID needs at least 2 rows in each set");
        double[][] a = new double[m][], b = new double[m][];
        Rng rng = new Rng(seed);
        double sum = 0, sumSq = 0;
        for (int s = 0; s < subsets; s++) {
            pick(x, nx, d, m, rng, a);
            pick(y, ny, d, m, rng, b);
            double v = mmd2(a, b, d);
            sum += v;
            sumSq += v * v;
        }
        double mean = sum / subsets;
        double var = subsets > 1 ? Math.max(0, (sumSq - subsets * mean * mean) / (subsets - 1)) : 0;
        return new Estimate(mean, Math.sqrt(var), subsets, m);
    }

    /** The unbiased MMD² of two equal-size sets of rows. */
    static double mmd2(double[][] a, double[][] b, int d) {
        int m = a.length;
        double kxx = 0, kyy = 0, kxy = 0;
        for (int i = 0; i < m; i++)
            for (int j = i + 1; j < m; j++) {
                kxx += k(a[i], a[j], d);
                kyy += k(b[i], b[j], d);
            }
        for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) kxy += k(a[i], b[j], d);
        return 2 * (kxx + kyy) / ((double) m * (m - 1)) - 2 * kxy / ((double) m * m);
    }

    static double k(double[] x, double[] y, int d) {
        double s = 0;
        for (int i = 0; i < d; i++) s += x[i] * y[i];
        double t = s / d + 1;
        return t * t * t;
    }

    /** m distinct rows drawn at random (partial Fisher–Yates). */
    private static void pick(MemorySegment src, int n, int d, int m, Rng rng, double[][] out) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        for (int i = 0; i < m; i++) {
            int j = i + rng.nextInt(n - i);
            int t = idx[i]; idx[i] = idx[j]; idx[j] = t;
            double[] row = new double[d];
            for (int c = 0; c < d; c++) row[c] = src.getAtIndex(F, (long) idx[i] * d + c);
            out[i] = row;
        }
    }
}
