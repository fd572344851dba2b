package dev.panflow.coupling;

import dev.panflow.dist.Collective;
import dev.panflow.dist.RowSplit;
import dev.panflow.kernels.ExpF;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Entropic optimal transport between two uniform point sets of size n (Cuturi 2013): the plan
 * P = diag(u) K diag(v) with K_ij = exp(α_i + β_j − C_ij / (reg·max C)) that has row and
 * column sums 1/n. The cost is normalised by its maximum, as in OT-CFM, so reg is relative.
 * Sinkhorn's alternating scalings run in float on a stabilised kernel (Schmitzer 2019,
 * "absorption"): the potentials α, β start at row and column minima of the scaled cost, so
 * every row and column of K has an entry 1, and whenever a scaling leaves [1e−8, 1e8] it is
 * absorbed into the potentials and K is recomputed; small reg therefore neither underflows K
 * nor overflows u and v. One sweep over K per iteration: each row's sum K_i·v gives u_i, and the
 * same row (still in cache) is added, times u_i, into the column sums that give v.
 * The stopping test is on the plan it returns: after each sweep the columns are exact, and the
 * largest relative row error max_i |n·rowsum_i − 1| is measured before the next update; the
 * iterations stop when it is at most tol or after maxIter sweeps.
 * Every array is made once for a maximum n: solving and sampling allocate nothing.
 *
 * <p>Sharded over the ranks of a {@link Collective}: rank r holds the rows of its {@link RowSplit}
 * block of C and K (and of u, α), every rank all of v and β. A sweep computes its rows' u and
 * their share of the column sums, and one all-reduce per sweep sums those (and carries each
 * rank's row error and whether its u left the range), so every rank derives the same v. The
 * largest cost and the column minima that start β are all-reduced once per solve (each rank in
 * its own slot, as the collective only sums). The plan equals the one-process plan up to the
 * order of float additions in the column sums.
 */
public final class Sinkhorn {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final float BIG = 1e8f, SMALL = 1e-8f;
    private final int maxN;
    private final boolean vectorized;
    private final float[] cost, kernel;
    private final float[] u, v, uNext, cNext, alpha, beta, lanes;
    private int iterations, absorptions;
    private float lastError;
    private boolean finite = true;
    private double scale;
    private final Collective coll;
    private final int ranks, rank;
    private final MemorySegment red;      // sharded: per sweep, column sums + a row-error slot per rank + a range flag
    private final MemorySegment colMins;  // sharded: a slot of n column minima per rank
    private final double[] maxes;         // sharded: a slot per rank for the largest cost
    private int first, rows;              // the row block of the last solve

    public Sinkhorn(int maxN) { this(maxN, true); }

    /** vectorized = false runs plain scalar loops (the twin the SIMD kernels are tested against). */
    public Sinkhorn(int maxN, boolean vectorized) { this(maxN, vectorized, Collective.SINGLE); }

    /** Sharded over {@code coll}'s ranks: this rank holds its block of rows (of at most maxN). */
    public Sinkhorn(int maxN, boolean vectorized, Collective coll) {
        if (maxN < 1 || maxN > 16_384) throw new IllegalArgumentException("maxN must be in [1, 16384], got " + maxN);
        this.maxN = maxN;
        this.vectorized = vectorized;
        this.coll = coll;
        this.ranks = coll.size();
        this.rank = coll.rank();
        int maxRows = (maxN + ranks - 1) / ranks; // no block of any n ≤ maxN is larger
        cost = new float[maxRows * maxN];
        kernel = new float[maxRows * maxN];
        if (ranks > 1) {
            Arena arena = Arena.ofAuto();
            red = arena.allocate(4L * (maxN + ranks + 1), 64);
            colMins = arena.allocate(4L * ranks * maxN, 64);
            maxes = new double[ranks];
        } else {
            red = colMins = null;
            maxes = null;
        }
        u = new float[maxN];
        v = new float[maxN];
        uNext = new float[maxN];
        cNext = new float[maxN];
        alpha = new float[maxN];
        beta = new float[maxN];
        lanes = new float[L];
    }

    public int maxN() { return maxN; }

    /**
     * The cost matrix to fill before {@link #solve}: row-major with stride n, C[i][j] at i·n + j;
     * sharded, this rank's rows only: C[first + i][j] at i·n + j (see {@link #firstRow}).
     */
    public float[] cost() { return cost; }

    /** This rank's first row and its number of rows for a problem of size n. */
    public int firstRow(int n) { return (int) ((long) n * rank / ranks); } // RowSplit's blocks, without making one

    public int rowCount(int n) { return (int) ((long) n * (rank + 1) / ranks) - firstRow(n); }

    /** The collective the plan is sharded over. */
    public Collective collective() { return coll; }

    /** Sweeps the last solve ran. */
    public int iterations() { return iterations; }

    /** Times the last solve absorbed the scalings into the potentials (and recomputed K). */
    public int absorptions() { return absorptions; }

    /** False when the last cost matrix held NaN or ∞ (then there is no plan). */
    public boolean finiteCost() { return finite; }

    /** max_i |n·rowsum_i − 1| of the last plan (its columns are exact). */
    public float lastError() { return lastError; }

    /**
     * Solves for the first n×n entries of {@link #cost()}; reg is relative to the largest cost.
     * Returns true if the row error reached tol within maxIter sweeps.
     */
    public boolean solve(int n, double reg, int maxIter, double tol) {
        if (n < 1 || n > maxN) throw new IllegalArgumentException("n must be in [1, " + maxN + "], got " + n);
        if (!(reg > 0) || !Double.isFinite(reg)) throw new IllegalArgumentException("reg must be positive, got " + reg);
        if (maxIter < 1) throw new IllegalArgumentException("maxIter must be ≥ 1, got " + maxIter);
        float[] c = cost;
        first = firstRow(n);
        int m = rows = rowCount(n);
        // One pass for the largest cost (NaN and ∞ propagate, and are refused) and the row minima.
        float max = 0;
        for (int i = 0; i < m; i++) {
            int ib = i * n, j = 0;
            float mn = Float.POSITIVE_INFINITY, x = 0;
            if (vectorized) {
                FloatVector mv = FloatVector.broadcast(S, Float.POSITIVE_INFINITY), xv = FloatVector.zero(S);
                for (int bound = S.loopBound(n); j < bound; j += L) {
                    FloatVector cv = FloatVector.fromArray(S, c, ib + j);
                    mv = cv.min(mv);
                    xv = cv.max(xv);
                }
                mn = mv.reduceLanes(VectorOperators.MIN); // exact in any order
                x = xv.reduceLanes(VectorOperators.MAX);
            }
            for (; j < n; j++) {
                mn = Math.min(mn, c[ib + j]);
                x = Math.max(x, c[ib + j]);
            }
            alpha[i] = mn;
            max = Math.max(max, x);
        }
        if (ranks > 1) max = (float) globalMax(max);
        finite = Float.isFinite(max);
        if (!finite) {
            iterations = 0;
            lastError = Float.NaN;
            return false;
        }
        // Equal points (max 0) give a uniform plan.
        scale = max > 0 ? 1 / (reg * max) : 0;
        float inv = (float) scale;
        // α_i = min_j s_ij, β_j = min_i (s_ij − α_i): K ≤ 1 with a 1 in every row and column.
        java.util.Arrays.fill(beta, 0, n, Float.POSITIVE_INFINITY);
        for (int i = 0; i < m; i++) {
            int ib = i * n;
            float a = alpha[i] * inv;
            alpha[i] = a;
            if (vectorized) {
                int j = 0;
                for (int bound = S.loopBound(n); j < bound; j += L)
                    FloatVector.fromArray(S, c, ib + j).mul(inv).sub(a).min(FloatVector.fromArray(S, beta, j)).intoArray(beta, j);
                for (; j < n; j++) beta[j] = Math.min(beta[j], c[ib + j] * inv - a);
            } else {
                for (int j = 0; j < n; j++) beta[j] = Math.min(beta[j], c[ib + j] * inv - a);
            }
        }
        if (ranks > 1) globalColumnMin(n);
        java.util.Arrays.fill(u, 0, m, 1f);
        java.util.Arrays.fill(v, 0, n, 1f);
        absorptions = 0;
        computeKernel(n, inv);
        float err = Float.POSITIVE_INFINITY;
        int it = 0;
        while (true) {
            err = vectorized ? sweepVector(n) : sweepScalar(n);
            boolean uOut = false;
            if (ranks > 1) { // one all-reduce: the column sums, every rank's row error, and whether any u left the range
                for (int i = 0; i < m; i++) uOut |= uNext[i] > BIG || uNext[i] < SMALL;
                err = reduceSweep(n, err, uOut);
                uOut = red.getAtIndex(F32, n + ranks) > 0;
            }
            // After the first sweep (u, v) has exact column sums, so its row error is the plan's.
            if (it > 0 && (err <= tol || it >= maxIter)) break;
            float lo = Float.POSITIVE_INFINITY, hi = 0;
            for (int j = 0; j < n; j++) {
                float vj = 1f / Math.max(cNext[j], Float.MIN_NORMAL);
                v[j] = vj;
                lo = Math.min(lo, vj);
                hi = Math.max(hi, vj);
            }
            for (int i = 0; i < m; i++) {
                u[i] = uNext[i];
                lo = Math.min(lo, u[i]);
                hi = Math.max(hi, u[i]);
            }
            it++;
            if (hi > BIG || lo < SMALL || uOut) absorb(n, inv);
        }
        iterations = it;
        lastError = err;
        return err <= tol;
    }

    /** Moves log u, log v into α, β and recomputes K (the plan is unchanged). */
    private void absorb(int n, float inv) {
        absorptions++;
        for (int i = 0; i < rows; i++) {
            alpha[i] += (float) Math.log(u[i]);
            u[i] = 1f;
        }
        for (int j = 0; j < n; j++) {
            beta[j] += (float) Math.log(v[j]);
            v[j] = 1f;
        }
        computeKernel(n, inv);
    }

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** The largest of every rank's x (each in its slot of a sum). */
    private double globalMax(float x) {
        java.util.Arrays.fill(maxes, 0);
        maxes[rank] = x;
        coll.allreduceSum(maxes);
        double mx = 0;
        for (double y : maxes) mx = Double.isNaN(y) || Double.isNaN(mx) ? Double.NaN : Math.max(mx, y);
        return mx;
    }

    /** β_j = min over every rank's rows (each rank's column minima in its slot of a sum). */
    private void globalColumnMin(int n) {
        colMins.fill((byte) 0);
        MemorySegment.copy(beta, 0, colMins, F32, 4L * rank * n, n);
        coll.allreduceSum(colMins, (long) ranks * n);
        for (int j = 0; j < n; j++) {
            float b = Float.POSITIVE_INFINITY;
            for (int r = 0; r < ranks; r++) b = Math.min(b, colMins.getAtIndex(F32, (long) r * n + j));
            beta[j] = b;
        }
    }

    /** Sums the ranks' column sums into cNext; returns the largest row error of any rank. */
    private float reduceSweep(int n, float err, boolean uOut) {
        red.fill((byte) 0);
        MemorySegment.copy(cNext, 0, red, F32, 0, n);
        red.setAtIndex(F32, n + rank, err);
        red.setAtIndex(F32, n + ranks, uOut ? 1f : 0f);
        coll.allreduceSum(red, n + ranks + 1);
        MemorySegment.copy(red, F32, 0, cNext, 0, n);
        float e = 0;
        for (int r = 0; r < ranks; r++) e = Math.max(e, red.getAtIndex(F32, n + r));
        return e;
    }

    private void computeKernel(int n, float inv) {
        float[] c = cost, k = kernel;
        for (int i = 0; i < rows; i++) {
            int ib = i * n;
            float a = alpha[i];
            int j = 0;
            if (vectorized) {
                for (int bound = S.loopBound(n); j < bound; j += L) {
                    FloatVector z = FloatVector.fromArray(S, c, ib + j).fma(FloatVector.broadcast(S, -inv), FloatVector.fromArray(S, beta, j).add(a));
                    ExpF.exp(z).intoArray(k, ib + j);
                }
            }
            for (; j < n; j++) k[ib + j] = ExpF.exp(Math.fma(c[ib + j], -inv, beta[j] + a));
        }
    }

    /** One sweep: r_i = K_i·v, error of (u, v), uNext_i = 1/r_i, cNext = Σ_i uNext_i K_i. */
    private float sweepScalar(int n) {
        float[] k = kernel;
        java.util.Arrays.fill(cNext, 0, n, 0f);
        float err = 0;
        for (int i = 0; i < rows; i++) {
            int ib = i * n;
            float r = 0;
            for (int j = 0; j < n; j++) r = Math.fma(k[ib + j], v[j], r);
            err = Math.max(err, Math.abs(n * u[i] * r - 1));
            float ui = 1f / (n * Math.max(r, Float.MIN_NORMAL));
            uNext[i] = ui;
            for (int j = 0; j < n; j++) cNext[j] = Math.fma(k[ib + j], ui, cNext[j]);
        }
        for (int j = 0; j < n; j++) cNext[j] *= n;
        return err;
    }

    private float sweepVector(int n) {
        float[] k = kernel;
        java.util.Arrays.fill(cNext, 0, n, 0f);
        int bound = S.loopBound(n);
        float err = 0;
        for (int i = 0; i < rows; i++) {
            int ib = i * n;
            FloatVector acc = FloatVector.zero(S);
            int j = 0;
            for (; j < bound; j += L) acc = FloatVector.fromArray(S, k, ib + j).fma(FloatVector.fromArray(S, v, j), acc);
            acc.intoArray(lanes, 0);
            float r = 0;
            for (int l = 0; l < L; l++) r += lanes[l]; // a fixed order: the same whether compiled or not
            for (; j < n; j++) r = Math.fma(k[ib + j], v[j], r);
            err = Math.max(err, Math.abs(n * u[i] * r - 1));
            float ui = 1f / (n * Math.max(r, Float.MIN_NORMAL));
            uNext[i] = ui;
            j = 0;
            for (; j < bound; j += L)
                FloatVector.fromArray(S, k, ib + j).fma(FloatVector.broadcast(S, ui), FloatVector.fromArray(S, cNext, j)).intoArray(cNext, j);
            for (; j < n; j++) cNext[j] = Math.fma(k[ib + j], ui, cNext[j]);
        }
        for (int j = 0; j < n; j++) cNext[j] *= n;
        return err;
    }

    /** P_ij of the last plan (total mass 1: rows and columns sum to about 1/n); sharded, i is a row of this rank's block. */
    public double plan(int n, int i, int j) { return (double) u[i] * kernel[i * n + j] * v[j]; }

    /** Σ_ij P_ij C_ij of the last plan, times n (comparable to an assignment's total cost); sharded, this rank's rows' share. */
    public double planCost(int n) {
        double s = 0;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < n; j++) s += plan(n, i, j) * cost[i * n + j];
        return s * n;
    }

    /**
     * A column drawn from row i of the plan, P_ij / Σ_j P_ij, by a uniform draw in [0, 1), in
     * two stages that need O(n / lanes) scalar work: the weights K_ij v_j are summed per lane
     * (columns j ≡ l mod lanes, in SIMD; the columns past the last full vector each on their own),
     * a lane is drawn from those sums, then a column within the lane. The scalar twin forms the
     * same sums in the same order, so both draw the same column.
     */
    public int sampleColumn(int n, int i, double uniform) {
        float[] k = kernel;
        int ib = i * n, bound = S.loopBound(n), j = 0;
        if (vectorized) {
            FloatVector acc = FloatVector.zero(S);
            for (; j < bound; j += L) acc = FloatVector.fromArray(S, k, ib + j).mul(FloatVector.fromArray(S, v, j)).add(acc);
            acc.intoArray(lanes, 0);
        } else {
            java.util.Arrays.fill(lanes, 0f);
            for (; j < bound; j += L)
                for (int l = 0; l < L; l++) lanes[l] += k[ib + j + l] * v[j + l];
        }
        double total = 0;
        for (int l = 0; l < L; l++) total += lanes[l];
        for (int t = bound; t < n; t++) total += k[ib + t] * v[t];
        double target = uniform * total, run = 0;
        int last = -1;
        for (int l = 0; l < L && bound > 0; l++) {
            if (lanes[l] > 0) last = l;
            if (run + lanes[l] > target) {
                int lastJ = -1;
                for (int m = l; m < bound; m += L) {
                    float w = k[ib + m] * v[m];
                    if (w > 0) lastJ = m;
                    run += w;
                    if (run > target) return m;
                }
                if (lastJ >= 0) return lastJ; // rounding: the lane's sum exceeded the target, its entries did not
            } else {
                run += lanes[l];
            }
        }
        int lastTail = -1;
        for (int t = bound; t < n; t++) {
            float w = k[ib + t] * v[t];
            if (w > 0) lastTail = t;
            run += w;
            if (run > target) return t;
        }
        // Rounding left the target at or past the total: the last column with weight.
        if (lastTail >= 0) return lastTail;
        if (last >= 0)
            for (int m = last + (bound - 1 - last) / L * L; m >= 0; m -= L) if (k[ib + m] * v[m] > 0) return m;
        return Math.min(n - 1, (int) (uniform * n)); // no weight at all: cannot happen with K's 1 per row
    }
}
