package dev.panflow.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.panflow.tensor.Rng;
import org.junit.jupiter.api.Test;

/** Jacobi eigen-decomposition: V·diag(λ)·Vᵀ reconstructs A, V is orthogonal, known spectra come out. */
class SymmetricEigenTest {
    static double[] randomSymmetric(int n, long seed) {
        Rng rng = new Rng(seed);
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++) {
                double v = rng.nextGaussian();
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
        return a;
    }

    @Test
    void reconstructsAndIsOrthogonal() {
        for (int n : new int[] {1, 2, 3, 7, 33}) {
            double[] a = randomSymmetric(n, n);
            SymmetricEigen e = SymmetricEigen.of(a, n);
            double[] back = e.apply(e.values());
            for (int i = 0; i < n * n; i++) assertEquals(a[i], back[i], 1e-10, "n=" + n + " entry " + i);
            for (int p = 0; p < n; p++)
                for (int q = 0; q < n; q++) {
                    double dot = 0;
                    for (int k = 0; k < n; k++) dot += e.vectors()[k * n + p] * e.vectors()[k * n + q];
                    assertEquals(p == q ? 1 : 0, dot, 1e-10, "VᵀV[" + p + "," + q + "]");
                }
        }
    }

    @Test
    void knownSpectrum() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        SymmetricEigen e = SymmetricEigen.of(new double[] {2, 1, 1, 2}, 2);
        double lo = Math.min(e.values()[0], e.values()[1]), hi = Math.max(e.values()[0], e.values()[1]);
        assertEquals(1, lo, 1e-12);
        assertEquals(3, hi, 1e-12);
    }

    @Test
    void squareRootSquaresBack() {
        int n = 12;
        double[] b = randomSymmetric(n, 5);
        double[] a = FrechetDistance.multiply(b, b, n); // BᵀB = B² is PSD
        double[] r = SymmetricEigen.of(a, n).sqrtMatrix();
        double[] rr = FrechetDistance.multiply(r, r, n);
        for (int i = 0; i < n * n; i++) assertEquals(a[i], rr[i], 1e-8);
    }
}
