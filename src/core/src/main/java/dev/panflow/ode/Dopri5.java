package dev.panflow.ode;

import dev.panflow.kernels.Elementwise;
import java.lang.foreign.MemorySegment;

/**
 * Dormand–Prince 5(4) (Hairer, Nørsett, Wanner, Solving ODEs I, II.5): 7 stages with FSAL
 * (the last stage is v at the new point, reused as the next k1), so 6 NFE per step attempt.
 * Local extrapolation: the 5th-order solution is kept, the 4th-order one only gives the error.
 * One step size for the whole batch. NFE also counts v at the start and one evaluation for the
 * initial step guess (unless a first step is given).
 */
public final class Dopri5 extends AbstractSolver {
    public static final int DEFAULT_MAX_STEPS = 100_000;
    static final double SAFETY = 0.9, MIN_FACTOR = 0.2, MAX_FACTOR = 10;

    // Butcher tableau.
    static final double[] C = {0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1};
    static final double[][] A = {
        {},
        {1.0 / 5},
        {3.0 / 40, 9.0 / 40},
        {44.0 / 45, -56.0 / 15, 32.0 / 9},
        {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
        {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
        {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
    };
    /** 4th-order embedded weights; the 5th-order ones are A[6] (FSAL) with b7 = 0. */
    static final double[] B4 = {5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40};
    /** e = b5 − b4 over the 7 stages. */
    static final double[] E = new double[7];

    static {
        for (int i = 0; i < 7; i++) E[i] = (i < 6 ? A[6][i] : 0) - B4[i];
    }

    private final double atol, rtol, firstStep;
    private final int maxSteps;
    private final float[][] coef = new float[7][];
    private final MemorySegment[] ks = new MemorySegment[7];

    public Dopri5(double atol, double rtol) { this(atol, rtol, 0, DEFAULT_MAX_STEPS); }

    /** firstStep ≤ 0 picks it by Hairer's heuristic; more than maxSteps attempts throws. */
    public Dopri5(double atol, double rtol, double firstStep, int maxSteps) {
        super(9); // k1..k7, stage point / new x, scratch for the initial step
        if (!(atol >= 0 && rtol >= 0 && atol + rtol > 0))
            throw new IllegalArgumentException("need atol, rtol >= 0 and not both 0, got " + atol + ", " + rtol);
        if (maxSteps < 1) throw new IllegalArgumentException("maxSteps must be >= 1, got " + maxSteps);
        this.atol = atol;
        this.rtol = rtol;
        this.firstStep = firstStep;
        this.maxSteps = maxSteps;
        for (int i = 1; i < 7; i++) coef[i] = new float[i];
    }

    public double atol() { return atol; }
    public double rtol() { return rtol; }

    @Override public String name() { return "dopri5"; }

    @Override
    public SolveStats solve(VelocityField f, MemorySegment x, int rows, float t0, float t1, SolveListener listener) {
        long n = size(f, x, rows);
        if (t0 == t1 || n == 0) return new SolveStats(0, 0, 0);
        buffers(n);
        MemorySegment xs = x.asSlice(0, 4 * n);
        for (int i = 0; i < 7; i++) ks[i] = buf[i];
        MemorySegment y = buf[7];
        double dir = Math.signum((double) t1 - t0);
        double span = Math.abs((double) t1 - t0);

        int nfe = 0, accepted = 0, rejected = 0;
        double t = t0;
        f.eval(t0, xs, ks[0], rows);
        nfe++;
        double h;
        if (firstStep > 0) {
            h = Math.min(firstStep, span);
        } else {
            h = initialStep(f, xs, y, rows, n, t0, dir, span);
            nfe++;
        }
        boolean lastRejected = false;
        while (dir * (t1 - t) > 0) {
            if (accepted + rejected >= maxSteps)
                throw new SolverFailure("dopri5 gave up after " + maxSteps + " steps at t = " + t
                        + " of [" + t0 + ", " + t1 + "]: the field is too stiff or not finite for atol=" + atol + ", rtol=" + rtol);
            // Land exactly on t1 rather than leave a sliver.
            boolean last = h >= Math.abs(t1 - t) * (1 - 1e-9);
            if (last) h = Math.abs(t1 - t);
            // A landing step may be tiny; any other step that small means h has collapsed.
            if (!last && h <= 4 * Math.ulp(Math.max(Math.abs(t), 1.0)))
                throw new SolverFailure("dopri5 step size underflow at t = " + t + " (h = " + h
                        + "): the field is not finite or too stiff");
            double hs = dir * h;
            // Stages 2..7; stage 7 is evaluated at the candidate x_{n+1} = t + h (FSAL).
            for (int s = 1; s < 7; s++) {
                float[] c = coef[s];
                for (int j = 0; j < s; j++) c[j] = (float) (hs * A[s][j]);
                Elementwise.linComb(y, xs, c, ks, s, n);
                f.eval((float) (last && C[s] == 1 ? t1 : t + C[s] * hs), y, ks[s], rows);
                nfe++;
            }
            double err = StageMath.errorNorm(xs, y, E, ks, 7, hs, atol, rtol, n);
            if (err <= 1) {
                accepted++;
                MemorySegment.copy(y, 0, xs, 0, 4 * n);
                // FSAL: k7 at the new point becomes k1; swap buffers instead of copying.
                MemorySegment k1 = buf[0];
                buf[0] = buf[6];
                buf[6] = k1;
                ks[0] = buf[0];
                ks[6] = buf[6];
                t = last ? t1 : t + hs;
                double factor = err == 0 ? MAX_FACTOR : SAFETY * Math.pow(err, -0.2);
                factor = Math.min(lastRejected ? 1 : MAX_FACTOR, Math.max(MIN_FACTOR, factor));
                h *= factor;
                lastRejected = false;
            } else {
                rejected++;
                double factor = Double.isFinite(err) ? SAFETY * Math.pow(err, -0.2) : MIN_FACTOR;
                h *= Math.max(MIN_FACTOR, Math.min(1, factor));
                lastRejected = true;
            }
            if (listener != SolveListener.NONE) listener.onProgress(Math.abs(t - t0) / span, nfe);
        }
        return new SolveStats(nfe, accepted, rejected);
    }

    /**
     * Hairer's starting step (Solving ODEs I, II.4): h0 = 0.01·‖x‖/‖v‖, one Euler step to
     * estimate ‖v'‖, then h1 = (0.01/max(‖v‖, ‖v'‖))^(1/5); take min(100 h0, h1). Norms are
     * scaled RMS as in the error test. Uses ks[1] and buf[8] as scratch.
     */
    private double initialStep(VelocityField f, MemorySegment x, MemorySegment y, int rows, long n,
                               double t0, double dir, double span) {
        MemorySegment f0 = ks[0], f1 = buf[8]; // ks[0] holds v at t0
        double d0 = StageMath.scaledRms(x, null, x, atol, rtol, n);
        double d1 = StageMath.scaledRms(f0, null, x, atol, rtol, n);
        double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
        h0 = Math.min(h0, span);
        float[] c = coef[1];
        c[0] = (float) (dir * h0);
        Elementwise.linComb(y, x, c, ks, 1, n);
        f.eval((float) (t0 + dir * h0), y, f1, rows);
        double d2 = StageMath.scaledRms(f1, f0, x, atol, rtol, n) / h0;
        double h1 = Math.max(d1, d2) <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : Math.pow(0.01 / Math.max(d1, d2), 0.2);
        double h = Math.min(100 * h0, h1);
        return Double.isFinite(h) && h > 0 ? Math.min(h, span) : Math.min(1e-6, span);
    }
}
