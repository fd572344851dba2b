package dev.panflow.coupling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * Couplings for conditional models: within-class pairing (C²OT's rule for discrete conditions)
 * never hands a row noise drawn for another class and is optimal per class (brute force over
 * every permutation of each class on tiny sets); C²OT's finite class weight is optimal for the
 * penalised cost, and its limits are plain OT (w = 0) and within-class pairing (w large).
 */
class ClassConditionalCouplingTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Data rows i·dim…, noise rows likewise, and labels; every noise row distinct (Gaussian). */
    record Batch(float[] x0, float[] x1, int[] labels) {}

    static Batch batch(Rng rng, int n, int dim, int classes) {
        float[] x0 = new float[n * dim], x1 = new float[n * dim];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = rng.nextInt(classes);
            for (int k = 0; k < dim; k++) {
                x0[i * dim + k] = (float) rng.nextGaussian();
                x1[i * dim + k] = (float) (2 * rng.nextGaussian() + 3 * labels[i]); // classes apart: plain OT would cross them
            }
        }
        return new Batch(x0, x1, labels);
    }

    /** For each row r, the original noise row the coupling put there (exact match of its floats). */
    static int[] origins(Coupling c, Batch b, int n, int dim, Rng rng) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s0 = arena.allocate(4L * n * dim), s1 = arena.allocate(4L * n * dim);
            MemorySegment.copy(b.x0, 0, s0, F, 0, n * dim);
            MemorySegment.copy(b.x1, 0, s1, F, 0, n * dim);
            c.pair(s0, s1, b.labels, n, dim, rng);
            int[] from = new int[n];
            for (int r = 0; r < n; r++) {
                from[r] = -1;
                for (int j = 0; j < n && from[r] < 0; j++) {
                    boolean same = true;
                    for (int k = 0; k < dim; k++) same &= s0.getAtIndex(F, (long) r * dim + k) == b.x0[j * dim + k];
                    if (same) from[r] = j;
                }
                assertTrue(from[r] >= 0, "row " + r + " holds noise that was not in the batch");
            }
            return from;
        }
    }

    static double cost(Batch b, int dim, int[] from, int[] labels, double pen) {
        double s = 0;
        for (int r = 0; r < from.length; r++) {
            for (int k = 0; k < dim; k++) {
                double d = b.x1[r * dim + k] - b.x0[from[r] * dim + k];
                s += d * d;
            }
            if (labels != null && labels[r] != labels[from[r]]) s += pen;
        }
        return s;
    }

    @Test
    void withinClassPairingNeverCrossesClasses() {
        Rng rng = new Rng(5);
        int n = 131, dim = 3; // odd: ragged classes, SIMD tails
        for (String kind : new String[] {"ot", "sinkhorn"}) {
            Coupling c = Coupling.byName(kind, n, dim, 0.02, Double.POSITIVE_INFINITY);
            assertTrue(c instanceof WithinClassCoupling && c.pairsClasses());
            for (int trial = 0; trial < 3; trial++) {
                Batch b = batch(rng, n, dim, 5);
                b.labels[0] = 10; // a class of one row (the null class, say): left as it is
                int[] from = origins(c, b, n, dim, rng);
                for (int r = 0; r < n; r++) assertEquals(b.labels[r], b.labels[from[r]], kind + ": row " + r + " got noise of another class");
                assertEquals(0, from[0]);
                if (kind.equals("ot")) assertEquals(n, java.util.Arrays.stream(from).distinct().count(), "ot pairs by a permutation");
            }
        }
        // Plain OT (class weight 0) on the same kind of batch does cross classes: the test can fail.
        Batch b = batch(rng, n, dim, 5);
        int[] from = origins(Coupling.byName("ot", n, dim, 0.05, 0), b, n, dim, rng);
        int crossed = 0;
        for (int r = 0; r < n; r++) if (b.labels[r] != b.labels[from[r]]) crossed++;
        assertTrue(crossed > n / 2, "plain OT crossed only " + crossed + " of " + n);
    }

    /** Least Σ cost over all permutations σ of rows [0, n) with σ(r) = a row where allowed(r, σ(r)). */
    static double bruteForce(Batch b, int n, int dim, int[] labels, double pen, boolean withinOnly) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        double best = Double.POSITIVE_INFINITY;
        do {
            boolean ok = true;
            if (withinOnly) for (int r = 0; r < n; r++) ok &= labels[r] == labels[p[r]];
            if (ok) best = Math.min(best, cost(b, dim, p, labels, pen));
        } while (nextPermutation(p));
        return best;
    }

    static boolean nextPermutation(int[] a) {
        int i = a.length - 2;
        while (i >= 0 && a[i] >= a[i + 1]) i--;
        if (i < 0) return false;
        int j = a.length - 1;
        while (a[j] <= a[i]) j--;
        int t = a[i]; a[i] = a[j]; a[j] = t;
        for (int l = i + 1, r = a.length - 1; l < r; l++, r--) { t = a[l]; a[l] = a[r]; a[r] = t; }
        return true;
    }

    @Test
    void withinClassPlanIsOptimalPerClassAgainstBruteForce() {
        Rng rng = new Rng(11);
        for (int trial = 0; trial < 40; trial++) {
            int n = 2 + rng.nextInt(6), dim = 1 + rng.nextInt(3); // n ≤ 7: 7! permutations
            Batch b = batch(rng, n, dim, 1 + rng.nextInt(3));
            int[] from = origins(Coupling.byName("ot", n, dim, 0.05, Double.POSITIVE_INFINITY), b, n, dim, rng);
            double got = cost(b, dim, from, null, 0), best = bruteForce(b, n, dim, b.labels, 0, true);
            assertEquals(best, got, 1e-4 * Math.max(1, best), "trial " + trial + ": n " + n);
        }
    }

    @Test
    void classWeightIsOptimalForThePenalisedCostAndSpansOtToWithinClass() {
        Rng rng = new Rng(12);
        int sawCrossing = 0;
        for (int trial = 0; trial < 40; trial++) {
            int n = 2 + rng.nextInt(6), dim = 1 + rng.nextInt(2);
            Batch b = batch(rng, n, dim, 2 + rng.nextInt(2));
            double w = 0.5;
            double pen = penalty(b, n, dim, w);
            int[] from = origins(new MinibatchOtCoupling(n, dim, w), b, n, dim, rng);
            double got = cost(b, dim, from, b.labels, pen), best = bruteForce(b, n, dim, b.labels, pen, false);
            assertEquals(best, got, 1e-3 * Math.max(1, best), "trial " + trial + ": C²OT plan not optimal");
            for (int r = 0; r < n; r++) if (b.labels[r] != b.labels[from[r]]) { sawCrossing++; break; }
            // w = 0 is plain OT, a huge w is within-class pairing.
            int[] plain = origins(new MinibatchOtCoupling(n, dim, 0), b, n, dim, rng);
            assertEquals(bruteForce(b, n, dim, b.labels, 0, false), cost(b, dim, plain, null, 0), 1e-3 * Math.max(1, best));
            int[] hard = origins(new MinibatchOtCoupling(n, dim, 1e6), b, n, dim, rng);
            for (int r = 0; r < n; r++) assertEquals(b.labels[r], b.labels[hard[r]]);
        }
        assertTrue(sawCrossing > 0, "w = 0.5 never let a pair cross classes: the penalty test would not tell it from the hard rule");
    }

    /** w·mean(C) as ClassCost computes it. */
    static double penalty(Batch b, int n, int dim, double w) {
        double s = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int k = 0; k < dim; k++) {
                    double d = b.x1[i * dim + k] - b.x0[j * dim + k];
                    s += d * d;
                }
        return w * s / ((double) n * n);
    }

    @Test
    void sinkhornClassWeightKeepsClassesApartAsItGrows() {
        Rng rng = new Rng(13);
        int n = 120, dim = 2;
        Batch b = batch(rng, n, dim, 3);
        int[] crossed = new int[3];
        double[] weights = {0, 1, 100};
        for (int q = 0; q < 3; q++) {
            int[] from = origins(new SinkhornCoupling(n, dim, 0.01, weights[q]), b, n, dim, new Rng(3));
            for (int r = 0; r < n; r++) if (b.labels[r] != b.labels[from[r]]) crossed[q]++;
        }
        // Non-increasing in the weight, and weight 100 crosses far less than 0; weight 1 may already reach zero
        // (it does with 8-float vectors, whose sweep sums in another order than 16-float ones).
        assertTrue(crossed[0] >= crossed[1] && crossed[1] >= crossed[2] && crossed[0] > n / 4, java.util.Arrays.toString(crossed));
        assertTrue(crossed[2] <= 2, java.util.Arrays.toString(crossed));
    }

    @Test
    void labelsAreRefusedWhereTheyCannotBeUsedAndClassWeightIsChecked() {
        Rng rng = new Rng(1);
        Batch b = batch(rng, 8, 2, 2);
        assertThrows(UnsupportedOperationException.class, () -> origins(new MinibatchOtCoupling(8, 2), b, 8, 2, rng));
        assertThrows(UnsupportedOperationException.class, () -> origins(new SinkhornCoupling(8, 2, 0.05), b, 8, 2, rng));
        assertThrows(dev.panflow.InvalidParameterException.class, () -> Coupling.byName("ot", 8, 2, 0.05, -1));
        assertEquals("Infinity", Coupling.byName("sinkhorn", 8, 2, 0.05, Double.POSITIVE_INFINITY).metadata().get("class_weight"));
        assertEquals("0.5", Coupling.byName("ot", 8, 2, 0.05, 0.5).metadata().get("class_weight"));
        assertNotEquals(null, Coupling.byName("sinkhorn", 8, 2, 0.05, Double.POSITIVE_INFINITY).metadata().get("sinkhorn_reg"));
        assertTrue(Coupling.byName("ot", 8, 2).metadata().isEmpty());
    }
}
