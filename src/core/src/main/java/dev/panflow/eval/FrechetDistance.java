package dev.panflow.eval;

/**
 * The Fréchet (2-Wasserstein) distance between N(μa, A) and N(μb, B):
 * d² = |μa − μb|² + tr(A + B − 2 (A^½ B A^½)^½), the FID when the Gaussians are fitted to features.
 * The matrix square roots come from symmetric eigen-decompositions ({@link SymmetricEigen}), so
 * every step stays symmetric and real, unlike the general sqrtm of A·B.
 */
public final class FrechetDistance {
    private FrechetDistance() {}

    public static double of(GaussianStats a, GaussianStats b) {
        if (a.dim() != b.dim()) throw new IllegalArgumentException("feature widths differ: " + a.dim() + " and " + b.dim());
        return of(a.mean(), a.cov(), b.mean(), b.cov(), a.dim());
    }

    public static double of(double[] muA, double[] covA, double[] muB, double[] covB, int d) {
        double mean = 0;
        for (int i = 0; i < d; i++) mean += (muA[i] - muB[i]) * (muA[i] - muB[i]);
        double[] rootA = SymmetricEigen.of(covA, d).sqrtMatrix();
        double[] m = multiply(multiply(rootA, covB, d), rootA, d);
        for (int i = 0; i < d; i++) // symmetrise away round-off
            for (int j = i + 1; j < d; j++) {
                double s = 0.5 * (m[i * d + j] + m[j * d + i]);
                m[i * d + j] = s;
                m[j * d + i] = s;
            }
        double trRoot = 0;
        for (double l : SymmetricEigen.of(m, d).values()) trRoot += Math.sqrt(Math.max(l, 0));
        double tr = 0;
        for (int i = 0; i < d; i++) tr += covA[i * d + i] + covB[i * d + i];
        return Math.max(0, mean + tr - 2 * trRoot);
    }

    static double[] multiply(double[] a, double[] b, int d) {
        double[] c = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int k = 0; k < d; k++) {
                double aik = a[i * d + k];
                if (aik == 0) continue;
                for (int j = 0; j < d; j++) c[i * d + j] += aik * b[k * d + j];
            }
        return c;
    }
}
