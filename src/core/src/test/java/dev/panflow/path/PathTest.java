package dev.panflow.path;

import static org.junit.jupiter.api.Assertions.*;

import dev.panflow.UserError;
import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

class PathTest {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final double FD_H = 1e-6;

    /** Every default path plus a few other parameters. */
    static List<AffinePath> paths() {
        return List.of(Paths.byName("ot"), Paths.byName("vp"), Paths.byName("ve"), Paths.byName("cosine"),
                Paths.byName("poly"), Paths.ot(0), Paths.ot(0.1), Paths.vp(0.5, 5), Paths.ve(0.1, 10),
                Paths.poly(1), Paths.poly(3));
    }

    static double psi(Scheduler s, double t, double x0, double x1) { return s.sigma(t) * x0 + s.alpha(t) * x1; }

    /** Times in [0, tMax]: both ends, points near them, and uniform draws. */
    static double[] times(AffinePath p, Rng rng, int count) {
        double tm = p.tMax();
        double[] t = new double[count];
        double[] fixed = {0, 1e-4, 0.5, tm - 1e-4, tm};
        for (int i = 0; i < count; i++) t[i] = i < fixed.length ? fixed[i] : tm * rng.nextDouble();
        return t;
    }

    @Test
    void derivativesMatchFiniteDifferences() {
        Rng rng = new Rng(1);
        for (AffinePath p : paths()) {
            Scheduler s = p.scheduler();
            for (double t : times(p, rng, 60)) {
                double fa = (s.alpha(t + FD_H) - s.alpha(t - FD_H)) / (2 * FD_H);
                double fs = (s.sigma(t + FD_H) - s.sigma(t - FD_H)) / (2 * FD_H);
                assertEquals(fa, s.dAlpha(t), 1e-6 * (1 + Math.abs(fa)), p + " dAlpha at t=" + t);
                assertEquals(fs, s.dSigma(t), 1e-6 * (1 + Math.abs(fs)), p + " dSigma at t=" + t);
            }
        }
    }

    @Test
    void sampleGivesFlowAndItsTimeDerivative() {
        int rows = 64, dim = 3;
        Rng rng = new Rng(2);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x0 = arena.allocate(4L * rows * dim), x1 = arena.allocate(4L * rows * dim);
            MemorySegment t = arena.allocate(4L * rows);
            MemorySegment xt = arena.allocate(4L * rows * dim), ut = arena.allocate(4L * rows * dim);
            for (AffinePath p : paths()) {
                Scheduler s = p.scheduler();
                rng.fillGaussian(x0, (long) rows * dim, 1f);
                rng.fillUniform(x1, (long) rows * dim, -4f, 4f);
                double[] ts = times(p, rng, rows);
                for (int r = 0; r < rows; r++) t.setAtIndex(F32, r, (float) ts[r]);
                p.sample(x0, x1, t, xt, ut, rows, dim);
                for (int r = 0; r < rows; r++) {
                    double tr = t.getAtIndex(F32, r);
                    for (int j = 0; j < dim; j++) {
                        int i = r * dim + j;
                        double a = x0.getAtIndex(F32, i), b = x1.getAtIndex(F32, i);
                        double want = psi(s, tr, a, b);
                        double fd = (psi(s, tr + FD_H, a, b) - psi(s, tr - FD_H, a, b)) / (2 * FD_H);
                        // Scales of the two terms, so cancellation does not make the test flaky.
                        double sx = Math.abs(s.sigma(tr) * a) + Math.abs(s.alpha(tr) * b);
                        double su = Math.abs(s.dSigma(tr) * a) + Math.abs(s.dAlpha(tr) * b);
                        assertEquals(want, xt.getAtIndex(F32, i), 1e-6 * (sx + 1e-3), p + " xt at t=" + tr);
                        assertEquals(fd, ut.getAtIndex(F32, i), 2e-6 * (su + 1e-3), p + " ut at t=" + tr);
                    }
                }
            }
        }
    }

    @Test
    void conditionalVelocityOnThePathIsTheTarget() {
        Rng rng = new Rng(3);
        for (AffinePath p : paths()) {
            Scheduler s = p.scheduler();
            // σ_t > 0 needed: cosine and poly reach σ = 0 at t = 1.
            for (double t : times(p, rng, 200)) {
                if (t > 0.9999) t = 0.9999;
                double x0 = rng.nextGaussian(), x1 = 8 * rng.nextDouble() - 4;
                double target = s.dSigma(t) * x0 + s.dAlpha(t) * x1;
                double scale = Math.abs(s.dSigma(t) * x0) + Math.abs(s.dAlpha(t) * x1) + 1e-9;
                assertEquals(target, p.conditionalVelocity(psi(s, t, x0, x1), x1, t), 1e-9 * scale, p + " at t=" + t);
            }
        }
    }

    @Test
    void closedFormsMatchTheorem3() {
        Rng rng = new Rng(4);
        for (int k = 0; k < 2000; k++) {
            // Off the path too: x is any point.
            double x = 10 * rng.nextDouble() - 5, x1 = 10 * rng.nextDouble() - 5, t = 0.999 * rng.nextDouble();
            for (double sm : new double[] {0, 1e-4, 0.1}) {
                double g = Paths.ot(sm).conditionalVelocity(x, x1, t);
                assertEquals(CondOtPath.velocity(x, x1, t, sm), g, 1e-10 * (1 + Math.abs(g)));
            }
            for (double[] ve : new double[][] {{0.01, 50}, {0.1, 10}}) {
                double g = Paths.ve(ve[0], ve[1]).conditionalVelocity(x, x1, t);
                assertEquals(VePath.velocity(x, x1, t, ve[0], ve[1]), g, 1e-10 * (1 + Math.abs(g)));
            }
            for (double[] vp : new double[][] {{0.1, 20}, {0.5, 5}}) {
                double g = Paths.vp(vp[0], vp[1]).conditionalVelocity(x, x1, t);
                assertEquals(VpPath.velocity(x, x1, t, vp[0], vp[1]), g, 1e-9 * (1 + Math.abs(g)), "vp at t=" + t);
            }
        }
    }

    @Test
    void vpSignPointsTowardTheData() {
        // Near t = 1 the VP field must pull x toward x1 (a' < 0 and a·x − x1 < 0 when x < x1).
        assertTrue(VpPath.velocity(0, 1, 0.9, 0.1, 20) > 0);
        assertTrue(VePath.velocity(0, 1, 0.9, 0.01, 50) > 0);
        assertTrue(CondOtPath.velocity(0, 1, 0.9, 1e-4) > 0);
    }

    /** Empirical mean and variance per coordinate of xt over `rows` draws at time t, x1 fixed. */
    static double[][] moments(AffinePath p, float time, float[] point, int rows, long seed) {
        int dim = point.length;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x0 = arena.allocate(4L * rows * dim), x1 = arena.allocate(4L * rows * dim);
            MemorySegment t = arena.allocate(4L * rows);
            MemorySegment xt = arena.allocate(4L * rows * dim), ut = arena.allocate(4L * rows * dim);
            new Rng(seed).fillGaussian(x0, (long) rows * dim, 1f);
            for (int r = 0; r < rows; r++) {
                t.setAtIndex(F32, r, time);
                for (int j = 0; j < dim; j++) x1.setAtIndex(F32, (long) r * dim + j, point[j]);
            }
            p.sample(x0, x1, t, xt, ut, rows, dim);
            double[] mean = new double[dim], var = new double[dim];
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < dim; j++) mean[j] += xt.getAtIndex(F32, (long) r * dim + j) / rows;
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < dim; j++) {
                    double d = xt.getAtIndex(F32, (long) r * dim + j) - mean[j];
                    var[j] += d * d / (rows - 1);
                }
            return new double[][] {mean, var};
        }
    }

    @Test
    void atTimeZeroThePathIsTheNoise() {
        int rows = 20000;
        float[] point = {3.5f, -2.5f, 4f}; // checkerboard-scale data in [−4, 4]
        for (AffinePath p : paths()) {
            Scheduler s = p.scheduler();
            double a0 = s.alpha(0), s0 = s.sigma(0);
            assertEquals(s0, p.noiseStd(), 1e-6 * s0, p.toString());
            double[][] m = moments(p, 0f, point, rows, 5);
            for (int j = 0; j < point.length; j++) {
                assertEquals(a0 * point[j], m[0][j], 4 * s0 / Math.sqrt(rows), p + " mean");
                assertEquals(s0 * s0, m[1][j], 0.05 * s0 * s0, p + " variance");
            }
        }
        // With the default parameters the data leaves a negligible trace in p_0 next to the
        // noise (a weak VP such as β ∈ [0.5, 5] does not: α_0 ≈ 0.25).
        for (String n : new String[] {"ot", "vp", "ve", "cosine", "poly"}) {
            AffinePath p = Paths.byName(n);
            double a0 = p.scheduler().alpha(0), s0 = p.noiseStd();
            assertTrue(Math.abs(a0) * 4 <= 0.1 * s0, n + ": α_0 = " + a0 + ", σ_0 = " + s0);
            double[][] m = moments(p, 0f, point, rows, 7);
            for (int j = 0; j < point.length; j++) assertEquals(0, m[0][j], 0.1 * s0, n + " mean vs noise");
        }
        assertEquals(0.0, Paths.byName("ot").scheduler().alpha(0));
        assertEquals(1f, Paths.byName("ot").noiseStd());
        assertEquals(50f, Paths.byName("ve").noiseStd(), 1e-4f);
        assertEquals(1f, Paths.byName("vp").noiseStd(), 1e-4f);
        assertEquals(Math.exp(-0.5 * (0.1 + 0.5 * 19.9)), Paths.byName("vp").scheduler().alpha(0), 1e-12); // ≈ 0.0066
    }

    @Test
    void atTMaxThePathConcentratesAtTheData() {
        float[] point = {3.5f, -2.5f, 4f};
        for (AffinePath p : paths()) {
            Scheduler s = p.scheduler();
            double tm = p.tMax();
            assertEquals(1, s.alpha(tm), 2e-3, p + " α at tMax");
            assertTrue(s.sigma(tm) <= 0.1 + 1e-9, p + " σ at tMax " + s.sigma(tm));
            double[][] m = moments(p, p.tMax(), point, 4000, 6);
            for (int j = 0; j < point.length; j++) {
                assertEquals(point[j], m[0][j], 4 * Math.abs(1 - s.alpha(tm)) * 4 + 0.01, p + " mean");
                assertTrue(Math.sqrt(m[1][j]) <= 1.1 * s.sigma(tm) + 1e-5, p + " std " + Math.sqrt(m[1][j]));
            }
        }
        // Defaults: σ at the end is at most ~0.01 (ve σ_min, vp at 1 − 1e-3, ot σ_min = 1e-4).
        for (String n : new String[] {"ot", "vp", "ve", "cosine", "poly"}) {
            AffinePath p = Paths.byName(n);
            assertTrue(p.scheduler().sigma(p.tMax()) < 0.011, n);
        }
    }

    @Test
    void byNameKnowsTheDefaults() {
        assertEquals(1f, Paths.byName("ot").tMax());
        assertEquals(0.999f, Paths.byName("vp").tMax());
        assertEquals(1f, Paths.byName("ve").tMax());
        assertEquals(1f, Paths.byName("cosine").tMax());
        assertEquals(1f, Paths.byName("poly").tMax());
        assertEquals(new CondOtScheduler(1e-4), Paths.byName("ot").scheduler());
        assertEquals(new VpScheduler(0.1, 20), Paths.byName("VP").scheduler());
        assertEquals(new VeScheduler(0.01, 50), Paths.byName(" ve ").scheduler());
        assertEquals(new PolynomialScheduler(2), Paths.byName("poly").scheduler());
        for (String n : new String[] {"ot", "vp", "ve", "cosine", "poly"}) assertEquals(n, Paths.byName(n).name());
        UserError e = assertThrows(UserError.class, () -> Paths.byName("x"));
        assertEquals("unknown path 'x'; choose one of ot, vp, ve, cosine, poly", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AffinePath(new CosineScheduler(), 1.5));
        assertThrows(IllegalArgumentException.class, () -> new VeScheduler(1, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new CondOtScheduler(1));
    }
}
