package dev.panflow.ode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * Known answers: v(x) = A x + b pushes x0 ~ N(0, σ0² I) at t = 0 to x1 = M x0 + m at t = 1,
 * M = expm(A), m = (∫_0^1 expm(A s) ds) b, so p1 = N(m, σ0² M Mᵀ). M and m come from the
 * exponential of the augmented matrix [[A, b], [0, 0]] (Taylor series with scaling and
 * squaring, in double): a computation that shares nothing with the ODE solve.
 */
class LogLikelihoodTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** expm by scaling and squaring with a 30-term Taylor series. */
    static double[][] expm(double[][] a) {
        int n = a.length;
        double norm = 0;
        for (double[] row : a) for (double v : row) norm = Math.max(norm, Math.abs(v));
        int sq = Math.max(0, (int) Math.ceil(Math.log(norm * n + 1e-300) / Math.log(2)) + 1);
        double scale = Math.pow(2, -sq);
        double[][] term = identity(n), sum = identity(n);
        for (int k = 1; k <= 30; k++) {
            term = mul(term, a);
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) term[i][j] *= scale / k;
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) sum[i][j] += term[i][j];
        }
        for (int s = 0; s < sq; s++) sum = mul(sum, sum);
        return sum;
    }

    static double[][] identity(int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) m[i][i] = 1;
        return m;
    }

    static double[][] mul(double[][] x, double[][] y) {
        int n = x.length;
        double[][] z = new double[n][n];
        for (int i = 0; i < n; i++) for (int k = 0; k < n; k++) for (int j = 0; j < n; j++) z[i][j] += x[i][k] * y[k][j];
        return z;
    }

    /** The closed form: log N(x; m, σ0² M Mᵀ) for D ≤ 2. */
    static final class Gaussian {
        final int d;
        final double[][] mat;
        final double[] mean;
        final double sigma0;

        Gaussian(double[][] a, double[] b, double sigma0) {
            d = b.length;
            double[][] aug = new double[d + 1][d + 1];
            for (int i = 0; i < d; i++) {
                System.arraycopy(a[i], 0, aug[i], 0, d);
                aug[i][d] = b[i];
            }
            double[][] e = expm(aug);
            mat = new double[d][d];
            mean = new double[d];
            for (int i = 0; i < d; i++) {
                System.arraycopy(e[i], 0, mat[i], 0, d);
                mean[i] = e[i][d];
            }
            this.sigma0 = sigma0;
        }

        /** x = M x0 + m for a given x0. */
        double[] push(double[] x0) {
            double[] x = mean.clone();
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) x[i] += mat[i][j] * x0[j];
            return x;
        }

        double logDensity(double[] x) {
            double[][] c = new double[d][d]; // σ0² M Mᵀ
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++)
                for (int k = 0; k < d; k++) c[i][j] += sigma0 * sigma0 * mat[i][k] * mat[j][k];
            double[] r = new double[d];
            for (int i = 0; i < d; i++) r[i] = x[i] - mean[i];
            double det, quad;
            if (d == 1) {
                det = c[0][0];
                quad = r[0] * r[0] / c[0][0];
            } else {
                det = c[0][0] * c[1][1] - c[0][1] * c[1][0];
                quad = (c[1][1] * r[0] * r[0] - (c[0][1] + c[1][0]) * r[0] * r[1] + c[0][0] * r[1] * r[1]) / det;
            }
            return -0.5 * (d * Math.log(2 * Math.PI) + Math.log(det) + quad);
        }
    }

    /** Points drawn from the known p1, as float rows. */
    static MemorySegment draw(Arena arena, Gaussian g, int rows, long seed, double[][] exactOut) {
        Rng rng = new Rng(seed);
        MemorySegment x = arena.allocate(4L * rows * g.d, 64);
        for (int r = 0; r < rows; r++) {
            double[] x0 = new double[g.d];
            for (int j = 0; j < g.d; j++) x0[j] = g.sigma0 * rng.nextGaussian();
            double[] x1 = g.push(x0);
            for (int j = 0; j < g.d; j++) {
                x.setAtIndex(F32, (long) r * g.d + j, (float) x1[j]);
                x1[j] = x.getAtIndex(F32, (long) r * g.d + j); // the density at the float point
            }
            exactOut[r] = x1;
        }
        return x;
    }

    private static void checkExact(double[][] a, double[] b, double sigma0, OdeSolver solver) {
        Gaussian g = new Gaussian(a, b, sigma0);
        int rows = 150;
        try (Arena arena = Arena.ofConfined();
             LogLikelihood ll = new LogLikelihood(new AffineField(a, b), Divergence.exact(), rows)) {
            double[][] pts = new double[rows][];
            MemorySegment x = draw(arena, g, rows, 7, pts);
            LogLikelihood.Result res = ll.compute(x, rows, 1f, sigma0, solver, 0);
            double worst = 0;
            for (int r = 0; r < rows; r++) worst = Math.max(worst, Math.abs(res.logp()[r] - g.logDensity(pts[r])));
            assertTrue(worst < 1e-4, "max |log p − closed form| = " + worst + " with " + solver.name());
            assertTrue(res.stats().nfe() > 0);
        }
    }

    @Test
    void oneDimensionalLinearFieldMatchesClosedForm() {
        checkExact(new double[][] {{0.7}}, new double[] {0}, 1, new Dopri5(1e-7, 1e-7));
        checkExact(new double[][] {{-1.3}}, new double[] {0}, 1, new Rk4(200));
    }

    @Test
    void oneDimensionalAffineFieldMatchesClosedForm() {
        checkExact(new double[][] {{0.4}}, new double[] {1.5}, 1, new Dopri5(1e-7, 1e-7));
    }

    @Test
    void twoDimensionalLinearFieldMatchesClosedForm() {
        // Not symmetric and not normal: rotation, shear and scaling together.
        checkExact(new double[][] {{0.3, -1.1}, {0.8, -0.5}}, new double[] {0, 0}, 1, new Dopri5(1e-7, 1e-7));
        checkExact(new double[][] {{0.3, -1.1}, {0.8, -0.5}}, new double[] {0, 0}, 1, new Dopri5PerPoint(1e-7, 1e-7));
    }

    @Test
    void perPointDopri5MatchesClosedFormAndNeedsTheExactDivergence() {
        checkExact(new double[][] {{-0.6, 0.9}, {0.2, 0.4}}, new double[] {1.0, -2.0}, 5, new Dopri5PerPoint(1e-7, 1e-7));
        double[][] a = {{0.3, -1.1}, {0.8, -0.5}};
        try (Arena arena = Arena.ofConfined();
             LogLikelihood ll = new LogLikelihood(new AffineField(a, new double[] {0, 0}), Divergence.parse("hutchinson", "rademacher", 2, 1), 4);
             Dopri5PerPoint s = new Dopri5PerPoint(1e-5, 1e-5)) {
            MemorySegment x = arena.allocate(4L * 4 * 2, 64);
            dev.panflow.InvalidParameterException e = assertThrows(dev.panflow.InvalidParameterException.class, () -> ll.compute(x, 4, 1f, 1, s, 0));
            assertTrue(e.getMessage().contains("exact divergence"), e.getMessage());
        }
    }

    @Test
    void twoDimensionalAffineFieldWithWidePriorMatchesClosedForm() {
        // σ0 = 5: a wide prior like the VE path's N(0, σ_max² I).
        checkExact(new double[][] {{-0.6, 0.9}, {0.2, 0.4}}, new double[] {1.0, -2.0}, 5, new Dopri5(1e-7, 1e-7));
    }

    @Test
    void zeroFieldGivesThePrior() {
        checkExact(new double[][] {{0, 0}, {0, 0}}, new double[] {0, 0}, 2, new Euler(3));
    }

    @Test
    void hutchinsonMeanAgreesWithExactWithinStandardErrors() {
        double[][] a = {{0.3, -1.1}, {0.8, -0.5}};
        double[] b = {0.5, 0.2};
        Gaussian g = new Gaussian(a, b, 1);
        int rows = 2000;
        for (Divergence.Kind kind : new Divergence.Kind[] {Divergence.Kind.RADEMACHER, Divergence.Kind.GAUSSIAN}) {
            for (int probes : new int[] {1, 4}) {
                try (Arena arena = Arena.ofConfined();
                     LogLikelihood ll = new LogLikelihood(new AffineField(a, b), new Divergence(kind, probes, 11), rows)) {
                    double[][] pts = new double[rows][];
                    MemorySegment x = draw(arena, g, rows, 3, pts);
                    double[] logp = ll.compute(x, rows, 1f, 1, new Dopri5(1e-6, 1e-6), 0).logp();
                    // The estimator's error per row, its mean and standard error.
                    double m = 0, ss = 0;
                    double[] err = new double[rows];
                    for (int r = 0; r < rows; r++) m += (err[r] = logp[r] - g.logDensity(pts[r])) / rows;
                    for (double e : err) ss += (e - m) * (e - m);
                    double se = Math.sqrt(ss / (rows - 1) / rows);
                    assertTrue(se > 1e-4, kind + ": estimator has no spread (" + se + "); the test would prove nothing");
                    assertTrue(Math.abs(m) < 4 * se, kind + " ×" + probes + ": mean error " + m + " vs standard error " + se);
                }
            }
        }
    }

    @Test
    void moreProbesReduceHutchinsonSpread() {
        double[][] a = {{0.3, -1.1}, {0.8, -0.5}};
        double[] b = {0, 0};
        Gaussian g = new Gaussian(a, b, 1);
        int rows = 500;
        double[] spread = new double[2];
        int[] probes = {1, 16};
        for (int k = 0; k < 2; k++) {
            try (Arena arena = Arena.ofConfined();
                 LogLikelihood ll = new LogLikelihood(new AffineField(a, b), new Divergence(Divergence.Kind.RADEMACHER, probes[k], 5), rows)) {
                double[][] pts = new double[rows][];
                MemorySegment x = draw(arena, g, rows, 9, pts);
                double[] logp = ll.compute(x, rows, 1f, 1, new Rk4(40), 0).logp();
                for (int r = 0; r < rows; r++) spread[k] += Math.pow(logp[r] - g.logDensity(pts[r]), 2) / rows;
            }
        }
        assertTrue(spread[1] < spread[0] / 4, "mean squared error with 16 probes " + spread[1] + " vs 1 probe " + spread[0]);
    }

    @Test
    void resultStatistics() {
        LogLikelihood.Result r = new LogLikelihood.Result(new double[] {1, 2, 3, 4}, new SolveStats(0, 0, 0));
        assertEquals(2.5, r.mean(), 1e-12);
        assertEquals(Math.sqrt(5.0 / 3 / 4), r.standardError(), 1e-12);
    }
}
