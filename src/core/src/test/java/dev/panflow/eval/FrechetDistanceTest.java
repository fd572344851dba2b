package dev.panflow.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

/** Known answers of the Fréchet distance and of KID. */
class FrechetDistanceTest {
    @Test
    void diagonalGaussiansHaveTheClosedForm() {
        // Diagonal A, B: d² = |μa − μb|² + Σ (√a_i − √b_i)².
        double[] a = {4, 0, 0, 0, 1, 0, 0, 0, 9}, b = {1, 0, 0, 0, 1, 0, 0, 0, 16};
        double[] ma = {1, 2, 3}, mb = {0, 2, 5};
        double expect = 1 + 4 + (2 - 1) * (2 - 1) + 0 + (3 - 4) * (3 - 4);
        assertEquals(expect, FrechetDistance.of(ma, a, mb, b, 3), 1e-10);
    }

    @Test
    void rotatedCovarianceAgreesWithTheTwoByTwoFormula() {
        // For 2×2 SPD matrices tr((A^½ B A^½)^½) = √(tr(AB) + 2√det(AB)).
        double[] a = {2, 0.5, 0.5, 1}, b = {1, -0.3, -0.3, 3};
        double[] ab = FrechetDistance.multiply(a, b, 2);
        double det = ab[0] * ab[3] - ab[1] * ab[2];
        double trRoot = Math.sqrt(ab[0] + ab[3] + 2 * Math.sqrt(det));
        double expect = a[0] + a[3] + b[0] + b[3] - 2 * trRoot;
        assertEquals(expect, FrechetDistance.of(new double[2], a, new double[2], b, 2), 1e-10);
    }

    @Test
    void identicalSetsScoreZeroAndShiftedOnesTheShift() {
        int n = 500, d = 6;
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, n, d), y = Tensor.allocate(arena, n, d);
            Rng rng = new Rng(3);
            rng.fillGaussian(x.segment(), x.size(), 1f);
            for (long i = 0; i < x.size(); i++) y.set(i, x.get(i) + (i % d == 0 ? 2f : 0f));
            GaussianStats sx = GaussianStats.of(x.segment(), n, d), sy = GaussianStats.of(y.segment(), n, d);
            assertEquals(0, FrechetDistance.of(sx, sx), 1e-8);
            assertEquals(4, FrechetDistance.of(sx, sy), 1e-6); // same covariance, mean moved by 2 in one axis
            var same = KernelDistance.of(x.segment(), n, x.segment(), n, d, 3, 200, 1);
            var shifted = KernelDistance.of(x.segment(), n, y.segment(), n, d, 3, 200, 1);
            assertTrue(Math.abs(same.mean()) < 0.1 * shifted.mean(), same + " vs " + shifted);
            assertTrue(shifted.mean() > 0.1, shifted.toString());
        }
    }

    @Test
    void kidIsUnbiasedForTwoDrawsOfOneDistribution() {
        int n = 400, d = 4;
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, n, d), y = Tensor.allocate(arena, n, d);
            new Rng(1).fillGaussian(x.segment(), x.size(), 1f);
            new Rng(2).fillGaussian(y.segment(), y.size(), 1f);
            var e = KernelDistance.of(x.segment(), n, y.segment(), n, d, 20, 100, 4);
            // The estimate's mean is 0; the spread of a subset's MMD² bounds where the mean can land.
            assertTrue(Math.abs(e.mean()) < 3 * e.std() / Math.sqrt(e.subsets()) + 1e-3, e.toString());
        }
    }

    @Test
    void mmdMatchesADirectSum() {
        double[][] a = {{1, 0}, {0, 1}, {1, 1}}, b = {{0, 0}, {2, 0}, {0, -1}};
        double kxx = 0, kyy = 0, kxy = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                if (i != j) {
                    kxx += Math.pow((a[i][0] * a[j][0] + a[i][1] * a[j][1]) / 2 + 1, 3);
                    kyy += Math.pow((b[i][0] * b[j][0] + b[i][1] * b[j][1]) / 2 + 1, 3);
                }
                kxy += Math.pow((a[i][0] * b[j][0] + a[i][1] * b[j][1]) / 2 + 1, 3);
            }
        assertEquals(kxx / 6 + kyy / 6 - 2 * kxy / 9, KernelDistance.mmd2(a, b, 2), 1e-12);
    }
}
