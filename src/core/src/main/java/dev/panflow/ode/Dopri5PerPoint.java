package dev.panflow.ode;

import static dev.panflow.ode.Dopri5.A;
import static dev.panflow.ode.Dopri5.C;
import static dev.panflow.ode.Dopri5.E;
import static dev.panflow.ode.Dopri5.MAX_FACTOR;
import static dev.panflow.ode.Dopri5.MIN_FACTOR;
import static dev.panflow.ode.Dopri5.SAFETY;

import dev.panflow.InvalidParameterException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Dormand–Prince 5(4) with a step size and an error control of its own for every point (row):
 * the tableau, the error norm (scaled RMS over the row's dim floats), the initial-step heuristic
 * and the step-size controller of {@link Dopri5}, applied row by row inside one batched solve.
 * The rows still running are kept compacted into one contiguous block, so each stage is one
 * {@link VelocityField#evalPerRow} of the running rows only, each at its own time; a row that
 * reaches t1 is written back to its place in x and drops out. A row's result therefore does not
 * depend on the other rows of the batch (up to the field's own dependence on the batch).
 *
 * <p>Bounds: a row that has made {@code maxSteps} step attempts, or whose step size underflows,
 * stops where it is (its last accepted state stays in x) and is counted in
 * {@link SolveStats#unfinishedPoints()}; the solve returns normally and logs a warning naming the
 * count, rather than failing the whole batch. {@code minStep} &gt; 0 is a floor on the step size
 * (the landing step excepted): a step at the floor is accepted whatever its error estimate.
 *
 * <p>Stats: NFE per point is 1 (v at t0) + 1 (initial step guess, unless a first step is given)
 * + 6 per step attempt (FSAL); {@code nfe} is the batched field calls (= the largest per point),
 * accepted/rejected steps are summed over the points.
 */
public final class Dopri5PerPoint extends AbstractSolver {
    public static final int DEFAULT_MAX_STEPS = Dopri5.DEFAULT_MAX_STEPS;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final double atol, rtol, firstStep, minStep;
    private final int maxSteps;
    /** Tests only: > 0 takes this many equal steps per row, every one accepted (the order check). */
    private int fixedSteps;
    private final MemorySegment[] ks = new MemorySegment[7];
    // Per running row, by its place p in the compacted block.
    private int[] idx = new int[0], attempts = new int[0], rejects = new int[0];
    // Per row of x, after a solve: its step attempts, rejected ones, and whether it stopped short of t1.
    private int[] rowAttempts = new int[0], rowRejects = new int[0];
    private boolean[] rowUnfinished = new boolean[0];
    private int base;
    private double[] tt = new double[0], hh = new double[0];
    private boolean[] lastRejected = new boolean[0], landing = new boolean[0], keep = new boolean[0];

    public Dopri5PerPoint(double atol, double rtol) { this(atol, rtol, 0, 0, DEFAULT_MAX_STEPS); }

    /**
     * firstStep ≤ 0 picks each row's first step by Hairer's heuristic; minStep ≤ 0 sets no floor;
     * a row stops after maxSteps step attempts.
     */
    public Dopri5PerPoint(double atol, double rtol, double firstStep, double minStep, int maxSteps) {
        super(10); // k1..k7, stage point, the compacted state, the per-row stage times
        if (!(atol >= 0 && rtol >= 0 && atol + rtol > 0) || !Double.isFinite(atol) || !Double.isFinite(rtol))
            throw new InvalidParameterException("need atol, rtol >= 0 and not both 0, got " + atol + ", " + rtol, "atol", "rtol");
        if (maxSteps < 1) throw InvalidParameterException.atLeast("maxSteps", 1, maxSteps);
        if (!Double.isFinite(minStep))
            throw new InvalidParameterException("minStep must be finite, got " + minStep, "minStep");
        if (Double.isNaN(firstStep)) throw new InvalidParameterException("firstStep is NaN", "firstStep");
        this.atol = atol;
        this.rtol = rtol;
        this.firstStep = firstStep;
        this.minStep = Math.max(0, minStep);
        this.maxSteps = maxSteps;
    }

    /** Equal steps of span/steps, all accepted: the bare Runge–Kutta method, for the order-of-convergence test. */
    static Dopri5PerPoint fixedSteps(int steps) {
        Dopri5PerPoint s = new Dopri5PerPoint(1, 1, 0, 0, Integer.MAX_VALUE);
        s.fixedSteps = steps;
        return s;
    }

    public double atol() { return atol; }
    public double rtol() { return rtol; }
    public double minStep() { return minStep; }
    public int maxSteps() { return maxSteps; }

    @Override public String name() { return "dopri5-point"; }

    private void perRow(int rows) {
        if (idx.length >= rows) return;
        idx = new int[rows];
        attempts = new int[rows];
        rejects = new int[rows];
        rowAttempts = new int[rows];
        rowRejects = new int[rows];
        rowUnfinished = new boolean[rows];
        tt = new double[rows];
        hh = new double[rows];
        lastRejected = new boolean[rows];
        landing = new boolean[rows];
        keep = new boolean[rows];
    }

    @Override
    public SolveStats solve(VelocityField f, MemorySegment x, int rows, float t0, float t1, SolveListener listener) {
        long n = size(f, x, rows);
        if (t0 == t1 || n == 0) return new SolveStats(0, 0, 0, 0, 0, 0);
        int d = f.dim();
        buffers(n);
        perRow(rows);
        for (int i = 0; i < 7; i++) ks[i] = buf[i];
        MemorySegment y = buf[7], xc = buf[8], ts = buf[9];
        MemorySegment.copy(x, 0, xc, 0, 4 * n);
        double dir = Math.signum((double) t1 - t0);
        double span = Math.abs((double) t1 - t0);
        base = firstStep > 0 || fixedSteps > 0 ? 1 : 2; // evaluations every point makes besides its step attempts

        for (int p = 0; p < rows; p++) {
            idx[p] = p;
            attempts[p] = 0;
            rejects[p] = 0;
            tt[p] = t0;
            lastRejected[p] = false;
        }
        f.eval(t0, xc, ks[0], rows);
        int calls = 1;
        if (fixedSteps > 0) {
            for (int p = 0; p < rows; p++) hh[p] = span / fixedSteps;
        } else if (firstStep > 0) {
            for (int p = 0; p < rows; p++) hh[p] = Math.min(firstStep, span);
        } else {
            initialSteps(f, xc, y, ts, rows, d, t0, dir, span);
            calls++;
        }

        Totals tot = new Totals();
        int m = rows;
        while (m > 0) {
            // Retire rows out of attempts or with a collapsed step; fix each row's step.
            boolean anyStop = false;
            for (int p = 0; p < m; p++) {
                double rem = Math.abs(t1 - tt[p]);
                double h = Math.max(hh[p], minStep);
                boolean last = h >= rem * (1 - 1e-9);
                if (last) h = rem;
                hh[p] = h;
                landing[p] = last;
                boolean stop = attempts[p] >= maxSteps
                        || (!last && h <= 4 * Math.ulp(Math.max(Math.abs(tt[p]), 1.0)));
                keep[p] = !stop;
                anyStop |= stop;
            }
            if (anyStop) m = compact(x, xc, m, d, tot, true);
            if (m == 0) break;
            long len = (long) m * d;
            MemorySegment xm = xc.asSlice(0, 4 * len), ym = y.asSlice(0, 4 * len), tm = ts.asSlice(0, 4L * m);
            // Stages 2..7; stage 7 is at the candidate point t + h (FSAL).
            for (int s = 1; s < 7; s++) {
                double[] a = A[s];
                for (int p = 0; p < m; p++) {
                    double hs = dir * hh[p];
                    long o = (long) p * d;
                    for (int j = 0; j < d; j++) {
                        double acc = 0;
                        for (int q = 0; q < s; q++) acc += a[q] * ks[q].getAtIndex(F32, o + j);
                        y.setAtIndex(F32, o + j, (float) (xc.getAtIndex(F32, o + j) + hs * acc));
                    }
                    ts.setAtIndex(F32, p, (float) (landing[p] && C[s] == 1 ? t1 : tt[p] + C[s] * hs));
                }
                f.evalPerRow(tm, ym, ks[s].asSlice(0, 4 * len), m);
                calls++;
            }
            boolean anyDone = false;
            for (int p = 0; p < m; p++) {
                attempts[p]++;
                double hs = dir * hh[p];
                long o = (long) p * d;
                double err = StageMath.errorNorm(xc, y, E, ks, 7, hs, atol, rtol, o, d);
                boolean atFloor = minStep > 0 && hh[p] <= minStep && Double.isFinite(err);
                if (err <= 1 || atFloor || fixedSteps > 0) {
                    tot.accepted++;
                    MemorySegment.copy(y, 4 * o, xc, 4 * o, 4L * d);
                    MemorySegment.copy(ks[6], 4 * o, ks[0], 4 * o, 4L * d); // FSAL
                    tt[p] = landing[p] ? t1 : tt[p] + hs;
                    double factor = err == 0 ? MAX_FACTOR : SAFETY * Math.pow(err, -0.2);
                    factor = Math.min(lastRejected[p] ? 1 : MAX_FACTOR, Math.max(MIN_FACTOR, factor));
                    if (fixedSteps == 0) hh[p] *= factor;
                    lastRejected[p] = false;
                    keep[p] = !landing[p];
                    anyDone |= landing[p];
                } else {
                    tot.rejected++;
                    rejects[p]++;
                    double factor = Double.isFinite(err) ? SAFETY * Math.pow(err, -0.2) : MIN_FACTOR;
                    hh[p] *= Math.max(MIN_FACTOR, Math.min(1, factor));
                    lastRejected[p] = true;
                    keep[p] = true;
                }
            }
            if (anyDone) m = compact(x, xc, m, d, tot, false);
            if (listener != SolveListener.NONE) { // retired points count as done; running ones by their share of the span
                double sum = rows - m;
                for (int p = 0; p < m; p++) sum += Math.abs(tt[p] - t0) / span;
                listener.onProgress(sum / rows, calls);
            }
        }
        // Points that did not reach t1 are counted, not logged: the caller warns (the CLI names how many).
        return new SolveStats(calls, tot.accepted, tot.rejected, (double) tot.nfeSum / rows, tot.nfeMax, tot.unfinished);
    }

    /**
     * The stats of rows [first, first + rows) of the last solve, as a solve of those rows alone
     * would report them (a row's steps do not depend on the others): what a request merged into a
     * larger batch cost by itself.
     */
    public SolveStats statsOf(int first, int rows) {
        int maxAttempts = 0, accepted = 0, rejected = 0, unfinished = 0;
        long nfeSum = 0;
        for (int r = first; r < first + rows; r++) {
            maxAttempts = Math.max(maxAttempts, rowAttempts[r]);
            accepted += rowAttempts[r] - rowRejects[r];
            rejected += rowRejects[r];
            nfeSum += base + 6L * rowAttempts[r];
            if (rowUnfinished[r]) unfinished++;
        }
        int nfeMax = base + 6 * maxAttempts;
        return new SolveStats(nfeMax, accepted, rejected, (double) nfeSum / rows, nfeMax, unfinished);
    }

    private static final class Totals {
        int accepted, rejected, nfeMax, unfinished;
        long nfeSum;
    }

    /**
     * Keeps the rows with keep[p] (in order) at the front of the block; writes every other row's
     * state back to its place in x and counts its evaluations (as unfinished if {@code stopped}).
     */
    private int compact(MemorySegment x, MemorySegment xc, int m, int d, Totals tot, boolean stopped) {
        int q = 0;
        long rowBytes = 4L * d;
        for (int p = 0; p < m; p++) {
            if (!keep[p]) {
                MemorySegment.copy(xc, p * rowBytes, x, idx[p] * rowBytes, rowBytes);
                int nfe = base + 6 * attempts[p];
                tot.nfeSum += nfe;
                tot.nfeMax = Math.max(tot.nfeMax, nfe);
                if (stopped) tot.unfinished++;
                rowAttempts[idx[p]] = attempts[p];
                rowRejects[idx[p]] = rejects[p];
                rowUnfinished[idx[p]] = stopped;
                continue;
            }
            if (q != p) {
                MemorySegment.copy(xc, p * rowBytes, xc, q * rowBytes, rowBytes);
                MemorySegment.copy(ks[0], p * rowBytes, ks[0], q * rowBytes, rowBytes);
                idx[q] = idx[p];
                attempts[q] = attempts[p];
                rejects[q] = rejects[p];
                tt[q] = tt[p];
                hh[q] = hh[p];
                lastRejected[q] = lastRejected[p];
            }
            q++;
        }
        return q;
    }

    /** {@link Dopri5}'s starting-step heuristic, row by row (one batched evaluation). Uses ks[1] as scratch. */
    private void initialSteps(VelocityField f, MemorySegment x, MemorySegment y, MemorySegment ts, int rows, int d,
                              double t0, double dir, double span) {
        MemorySegment f0 = ks[0], f1 = ks[1];
        double[] h0s = new double[rows], d1s = new double[rows];
        for (int p = 0; p < rows; p++) {
            long o = (long) p * d;
            double d0 = StageMath.scaledRms(x, null, x, atol, rtol, o, d);
            double d1 = StageMath.scaledRms(f0, null, x, atol, rtol, o, d);
            double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
            h0 = Math.min(h0, span);
            h0s[p] = h0;
            d1s[p] = d1;
            float c = (float) (dir * h0);
            for (int j = 0; j < d; j++) y.setAtIndex(F32, o + j, x.getAtIndex(F32, o + j) + c * f0.getAtIndex(F32, o + j));
            ts.setAtIndex(F32, p, (float) (t0 + dir * h0));
        }
        f.evalPerRow(ts.asSlice(0, 4L * rows), y, f1, rows);
        for (int p = 0; p < rows; p++) {
            long o = (long) p * d;
            double h0 = h0s[p], d1 = d1s[p];
            double d2 = StageMath.scaledRms(f1, f0, x, atol, rtol, o, d) / h0;
            double h1 = Math.max(d1, d2) <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : Math.pow(0.01 / Math.max(d1, d2), 0.2);
            double h = Math.min(100 * h0, h1);
            hh[p] = Double.isFinite(h) && h > 0 ? Math.min(h, span) : Math.min(1e-6, span);
        }
    }
}
