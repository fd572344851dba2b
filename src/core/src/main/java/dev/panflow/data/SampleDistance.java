package dev.panflow.data;

import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * How far a set of samples is from data, whatever the data set: two-sample statistics on
 * rows × dim float sets, computed in double.
 */
public final class SampleDistance {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private SampleDistance() {}

    /**
     * Energy distance (Székely and Rizzo): 2·E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ with every mean
     * over all pairs (V-statistics, i = j included). Zero for identical sets, never negative, and
     * zero in the limit only when the distributions are equal. O(n·m·dim).
     */
    public static double energy(MemorySegment x, int n, MemorySegment y, int m, int dim) {
        return 2 * meanDistance(x, n, y, m, dim) - meanDistance(x, n, x, n, dim) - meanDistance(y, m, y, m, dim);
    }

    private static double meanDistance(MemorySegment a, int n, MemorySegment b, int m, int dim) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double rowSum = 0;
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int k = 0; k < dim; k++) {
                    double d = a.getAtIndex(F32, (long) i * dim + k) - b.getAtIndex(F32, (long) j * dim + k);
                    s += d * d;
                }
                rowSum += Math.sqrt(s);
            }
            sum += rowSum;
        }
        return sum / ((double) n * m);
    }

    /**
     * Sliced 2-Wasserstein distance: sqrt of the mean over {@code projections} random unit
     * directions of W2² between the two projected 1-D sets (sorted quantiles; the sets are
     * compared at n quantile levels, so n need not equal m).
     */
    public static double slicedWasserstein(MemorySegment x, int n, MemorySegment y, int m, int dim, int projections, long seed) {
        Rng rng = new Rng(seed);
        double[] dir = new double[dim], px = new double[n], py = new double[m];
        double total = 0;
        for (int p = 0; p < projections; p++) {
            double norm = 0;
            for (int k = 0; k < dim; k++) norm += (dir[k] = rng.nextGaussian()) * dir[k];
            norm = Math.sqrt(norm);
            for (int k = 0; k < dim; k++) dir[k] /= norm;
            project(x, n, dim, dir, px);
            project(y, m, dim, dir, py);
            java.util.Arrays.sort(px);
            java.util.Arrays.sort(py);
            double w = 0;
            for (int i = 0; i < n; i++) {
                double q = py[(int) Math.min(m - 1, (long) ((i + 0.5) * m / n))];
                w += (px[i] - q) * (px[i] - q);
            }
            total += w / n;
        }
        return Math.sqrt(total / projections);
    }

    private static void project(MemorySegment x, int n, int dim, double[] dir, double[] out) {
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = 0; k < dim; k++) s += dir[k] * x.getAtIndex(F32, (long) i * dim + k);
            out[i] = s;
        }
    }
}
