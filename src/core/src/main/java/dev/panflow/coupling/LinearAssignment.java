package dev.panflow.coupling;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Exact linear assignment: a permutation σ minimising Σ_i C[i][σ(i)] for a dense n×n cost
 * matrix (Jonker and Volgenant 1987, "A shortest augmenting path algorithm for dense and
 * sparse linear assignment problems"). Column reduction, reduction transfer and augmenting row
 * reduction give feasible duals and assign most rows cheaply; each row left is assigned by a
 * Dijkstra search for the shortest augmenting path on reduced costs C[i][j] − v[j] − u[i],
 * after which the column duals v are updated.
 * O(n³) in the worst case. Every array is made once for a maximum n: solving allocates nothing.
 */
public final class LinearAssignment {
    private final int maxN;
    private final float[] cost;
    private final double[] v, d, vw, dScan;
    private final boolean vectorized;
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_128;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_256;
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_128;
    private final int[] rowSol, colSol, pred, cols, matches, free, mark;
    private int searches;

    public LinearAssignment(int maxN) { this(maxN, true); }

    /** vectorized = false runs the plain scalar search (the twin the SIMD one is tested against). */
    public LinearAssignment(int maxN, boolean vectorized) {
        this.vectorized = vectorized;
        if (maxN < 1 || maxN > 46_340) throw new IllegalArgumentException("maxN must be in [1, 46340], got " + maxN);
        this.maxN = maxN;
        cost = new float[maxN * maxN];
        v = new double[maxN];
        vw = new double[maxN];
        dScan = new double[maxN];
        d = new double[maxN];
        rowSol = new int[maxN];
        colSol = new int[maxN];
        pred = new int[maxN];
        cols = new int[maxN];
        matches = new int[maxN];
        free = new int[maxN];
        mark = new int[maxN];
    }

    public int maxN() { return maxN; }

    /** The cost matrix to fill before {@link #solve}: row-major, C[i][j] at i·n + j. */
    public float[] cost() { return cost; }

    /** Column assigned to row i by the last solve. */
    public int columnOf(int i) { return rowSol[i]; }

    /** Solves for the first n×n entries of {@link #cost()} (row-major with stride n); returns the total cost. */
    public double solve(int n) {
        if (n < 1 || n > maxN) throw new IllegalArgumentException("n must be in [1, " + maxN + "], got " + n);
        float[] c = cost;
        // Invariant from here on: an assigned row's column has its least reduced cost C[i][j] − v[j]
        // (so u_i = that cost keeps every reduced cost ≥ 0), and assigned edges are tight.
        java.util.Arrays.fill(rowSol, 0, n, -1);
        java.util.Arrays.fill(matches, 0, n, 0);
        // Column reduction, last column first: v[j] = min_i C[i][j]; the first column to pick a
        // row gets it.
        for (int j = n - 1; j >= 0; j--) {
            float min = c[j];
            int iMin = 0;
            for (int i = 1; i < n; i++) {
                float x = c[i * n + j];
                if (x < min) {
                    min = x;
                    iMin = i;
                }
            }
            v[j] = min;
            if (++matches[iMin] == 1) {
                rowSol[iMin] = j;
                colSol[j] = iMin;
            } else {
                colSol[j] = -1;
            }
        }
        // Reduction transfer: a row that is the minimum of exactly one column hands its slack
        // to that column (v[j] −= its second-least reduced cost), so later searches see it.
        int numFree = 0;
        for (int i = 0; i < n; i++) {
            if (matches[i] == 0) {
                free[numFree++] = i;
            } else if (matches[i] == 1) {
                int j1 = rowSol[i], ib = i * n;
                double min = Double.POSITIVE_INFINITY;
                for (int j = 0; j < n; j++) if (j != j1) min = Math.min(min, c[ib + j] - v[j]);
                if (n > 1) v[j1] -= min;
            }
        }
        // Augmenting row reduction (two passes): a free row takes its cheapest column j1,
        // lowering v[j1] by the gap to its second-cheapest; the row it displaces becomes free.
        for (int pass = 0; pass < 2 && numFree > 0; pass++) {
            int k = 0, prev = numFree;
            numFree = 0;
            // Displaced rows retry at once, but within a budget: chains of ever smaller dual
            // decrements can otherwise run on for a long time; what is left goes to augmentation.
            long budget = 8L * n;
            while (k < prev) {
                budget--;
                int i = free[k++], ib = i * n;
                double u1 = c[ib] - v[0], u2 = Double.POSITIVE_INFINITY;
                int j1 = 0, j2 = -1;
                for (int j = 1; j < n; j++) {
                    double h = c[ib + j] - v[j];
                    if (h < u2) {
                        if (h >= u1) {
                            u2 = h;
                            j2 = j;
                        } else {
                            u2 = u1;
                            u1 = h;
                            j2 = j1;
                            j1 = j;
                        }
                    }
                }
                int i0 = colSol[j1];
                if (u1 < u2) {
                    v[j1] -= u2 - u1;
                } else if (i0 >= 0 && j2 >= 0) { // a tie: take the other cheapest column instead
                    j1 = j2;
                    i0 = colSol[j2];
                }
                rowSol[i] = j1;
                colSol[j1] = i;
                if (i0 >= 0) {
                    rowSol[i0] = -1;
                    if (u1 < u2 && budget > 0) free[--k] = i0; // try the displaced row again right away
                    else free[numFree++] = i0;
                }
            }
        }
        if (vectorized) {
            System.arraycopy(v, 0, vw, 0, n);
            for (int k = 0; k < numFree; k++) augmentVector(free[k], n);
        } else {
            for (int k = 0; k < numFree; k++) augment(free[k], n);
        }
        double total = 0;
        for (int i = 0; i < n; i++) total += c[i * n + rowSol[i]];
        return total;
    }

    /**
     * Dijkstra from free row f over columns, with reduced costs measured from the tight edge of
     * each row reached (u_i = C[i][x_i] − v[x_i]), until a free column is the nearest; then
     * shifts the duals of the scanned columns by their slack and flips the path. Each scan is
     * one sequential pass over a cost row (cache-friendly: the search is the hot loop).
     */
    private void augment(int f, int n) {
        float[] c = cost;
        int stamp = ++searches;
        int fb = f * n;
        double min = Double.POSITIVE_INFINITY;
        int jMin = -1;
        for (int j = 0; j < n; j++) {
            double dj = c[fb + j] - v[j];
            d[j] = dj;
            pred[j] = f;
            if (dj < min) {
                min = dj;
                jMin = j;
            }
        }
        int scanned = 0;
        while (colSol[jMin] >= 0) {
            mark[jMin] = stamp;
            cols[scanned++] = jMin;
            int i = colSol[jMin], ib = i * n;
            double h = c[ib + jMin] - v[jMin] - min;
            min = Double.POSITIVE_INFINITY;
            int next = -1;
            for (int j = 0; j < n; j++) {
                if (mark[j] == stamp) continue;
                double nd = c[ib + j] - v[j] - h;
                double dj = d[j];
                if (nd < dj) {
                    d[j] = dj = nd;
                    pred[j] = i;
                }
                if (dj < min) {
                    min = dj;
                    next = j;
                }
            }
            jMin = next;
        }
        for (int k = 0; k < scanned; k++) {
            int j = cols[k];
            v[j] += d[j] - min;
        }
        int end = jMin, i;
        do {
            i = pred[end];
            colSol[end] = i;
            int nextEnd = rowSol[i];
            rowSol[i] = end;
            end = nextEnd;
        } while (i != f);
    }

    /**
     * {@link #augment} with the scan in SIMD lanes (4 doubles; costs widened from float). A
     * scanned column gets vw = −∞ (so its candidate is +∞ and never wins) and d = +∞ (so the
     * minimum skips it); its distance at scan time is kept in dScan for the dual update.
     * Invariant between searches: vw[0, n) equals v.
     */
    private void augmentVector(int f, int n) {
        float[] c = cost;
        int fb = f * n;
        int bound = FS.loopBound(n);
        for (int j = 0; j < n; j++) {
            d[j] = c[fb + j] - v[j];
            pred[j] = f;
        }
        int jMin = argMin(n);
        double min = d[jMin];
        int scanned = 0;
        while (colSol[jMin] >= 0) {
            cols[scanned] = jMin;
            dScan[scanned++] = min;
            d[jMin] = Double.POSITIVE_INFINITY;
            vw[jMin] = Double.NEGATIVE_INFINITY;
            int i = colSol[jMin], ib = i * n;
            double h = c[ib + jMin] - v[jMin] - min;
            DoubleVector hv = DoubleVector.broadcast(DS, h);
            IntVector iv = IntVector.broadcast(IS, i);
            DoubleVector best = DoubleVector.broadcast(DS, Double.POSITIVE_INFINITY);
            int j = 0;
            for (; j < bound; j += 4) {
                DoubleVector cv = (DoubleVector) FloatVector.fromArray(FS, c, ib + j).convertShape(VectorOperators.F2D, DS, 0);
                DoubleVector nd = cv.sub(DoubleVector.fromArray(DS, vw, j)).sub(hv);
                DoubleVector dv = DoubleVector.fromArray(DS, d, j);
                VectorMask<Double> better = nd.lt(dv);
                dv = dv.blend(nd, better);
                dv.intoArray(d, j);
                IntVector.fromArray(IS, pred, j).blend(iv, better.cast(IS)).intoArray(pred, j);
                best = dv.min(best);
            }
            double m = best.reduceLanes(VectorOperators.MIN);
            for (; j < n; j++) {
                double nd = c[ib + j] - vw[j] - h;
                if (nd < d[j]) {
                    d[j] = nd;
                    pred[j] = i;
                }
                m = Math.min(m, d[j]);
            }
            min = m;
            jMin = firstEqual(n, m);
        }
        for (int k = 0; k < scanned; k++) {
            int j = cols[k];
            v[j] += dScan[k] - min;
            vw[j] = v[j];
        }
        int end = jMin, i;
        do {
            i = pred[end];
            colSol[end] = i;
            int nextEnd = rowSol[i];
            rowSol[i] = end;
            end = nextEnd;
        } while (i != f);
    }

    private int argMin(int n) {
        int best = 0;
        for (int j = 1; j < n; j++) if (d[j] < d[best]) best = j;
        return best;
    }

    private int firstEqual(int n, double m) {
        for (int j = 0; j < n; j++) if (d[j] == m) return j;
        throw new IllegalStateException("no column at the minimum " + m + " (non-finite costs?)");
    }
}
