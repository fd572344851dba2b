package dev.panflow.eval;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Mean and (unbiased, n − 1) covariance of feature rows, accumulated in double. */
public record GaussianStats(double[] mean, double[] cov, int dim, int count) {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** The statistics of {@code n} rows of {@code d} floats. */
    public static GaussianStats of(MemorySegment rows, int n, int d) {
        if (n < 2) throw new IllegalArgumentException("need at least 2 rows for a covariance, got " + n);
        double[] mean = new double[d];
        double[] x = new double[d];
        for (int r = 0; r < n; r++)
            for (int j = 0; j < d; j++) mean[j] += rows.getAtIndex(F, (long) r * d + j);
        for (int j = 0; j < d; j++) mean[j] /= n;
        double[] cov = new double[d * d];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < d; j++) x[j] = rows.getAtIndex(F, (long) r * d + j) - mean[j];
            for (int i = 0; i < d; i++) {
                double xi = x[i];
                int o = i * d;
                for (int j = i; j < d; j++) cov[o + j] += xi * x[j];
            }
        }
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++) {
                double c = cov[i * d + j] / (n - 1);
                cov[i * d + j] = c;
                cov[j * d + i] = c;
            }
        return new GaussianStats(mean, cov, d, n);
    }
}
