package dev.panflow.bench.kernels;

import java.util.Arrays;

/** Small statistics for benchmark samples. */
public final class Stats {
    private Stats() {}

    public static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        int n = s.length;
        return n == 0 ? Double.NaN : (n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]));
    }
}
