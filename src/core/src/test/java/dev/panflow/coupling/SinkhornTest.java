package dev.panflow.coupling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.Checkerboard;
import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class SinkhornTest {
    /** Squared distances between n Gaussian points (dim 3, std 1) and n more (std 2). */
    static void fillCost(float[] c, int n, long seed) {
        Rng rng = new Rng(seed);
        int dim = 3;
        double[] x = new double[n * dim], y = new double[n * dim];
        for (int k = 0; k < x.length; k++) x[k] = rng.nextGaussian();
        for (int k = 0; k < y.length; k++) y[k] = 2 * rng.nextGaussian();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < dim; k++) s += Math.pow(x[i * dim + k] - y[j * dim + k], 2);
                c[i * n + j] = (float) s;
            }
    }

    static double[] rowSums(Sinkhorn s, int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) r[i] += s.plan(n, i, j);
        return r;
    }

    static double[] colSums(Sinkhorn s, int n) {
        double[] c = new double[n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) c[j] += s.plan(n, i, j);
        return c;
    }

    @Test
    void vectorAndScalarKernelsAgreeOnRaggedSizes() {
        for (int n : new int[] {1, 2, 3, 7, 13, 17, 31, 33, 67, 130}) {
            Sinkhorn vec = new Sinkhorn(n, true), sca = new Sinkhorn(n, false);
            fillCost(vec.cost(), n, n);
            fillCost(sca.cost(), n, n);
            vec.solve(n, 0.05, 500, 1e-4);
            sca.solve(n, 0.05, 500, 1e-4);
            assertTrue(Math.abs(vec.iterations() - sca.iterations()) <= 1, n + ": " + vec.iterations() + " vs " + sca.iterations() + " sweeps");
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    assertEquals(sca.plan(n, i, j), vec.plan(n, i, j), 1e-3 / n / n + 1e-4 * sca.plan(n, i, j), n + ": P[" + i + "][" + j + "]");
            Rng a = new Rng(3), b = new Rng(3);
            int same = 0;
            for (int i = 0; i < n; i++) if (vec.sampleColumn(n, i, a.nextDouble()) == sca.sampleColumn(n, i, b.nextDouble())) same++;
            assertTrue(same >= n - Math.max(1, n / 20), n + ": only " + same + " equal draws");
        }
    }

    @Test
    void planMarginalsAreWithinTolerance() {
        for (boolean vectorized : new boolean[] {true, false})
            for (int n : new int[] {50, 64, 200}) {
                Sinkhorn s = new Sinkhorn(n, vectorized);
                fillCost(s.cost(), n, 11 + n);
                for (double tol : new double[] {1e-2, 1e-4}) {
                    assertTrue(s.solve(n, 0.05, 1000, tol), n + ": not converged, error " + s.lastError());
                    double[] r = rowSums(s, n), c = colSums(s, n);
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, n * r[i], tol * 1.01 + 1e-5, "row " + i);
                        assertEquals(1, n * c[i], 1e-4, "column " + i); // exact after each sweep, up to float rounding
                    }
                    double maxRow = 0;
                    for (double x : r) maxRow = Math.max(maxRow, Math.abs(n * x - 1));
                    assertEquals(s.lastError(), maxRow, 1e-4, "reported error");
                }
            }
    }

    @Test
    void theIterationCapStopsAnUnconvergedSolve() {
        int n = 40;
        Sinkhorn s = new Sinkhorn(n);
        fillCost(s.cost(), n, 5);
        assertFalse(s.solve(n, 0.001, 3, 1e-9));
        assertEquals(3, s.iterations());
    }

    @Test
    void smallRegApproachesTheExactAssignmentsCost() {
        for (long seed = 1; seed <= 4; seed++) {
            int n = 10 + (int) seed;
            LinearAssignment lap = new LinearAssignment(n);
            fillCost(lap.cost(), n, seed);
            Sinkhorn s = new Sinkhorn(n);
            System.arraycopy(lap.cost(), 0, s.cost(), 0, n * n);
            float max = 0;
            for (int k = 0; k < n * n; k++) max = Math.max(max, s.cost()[k]);
            double exact = lap.solve(n);
            double prevGap = Double.POSITIVE_INFINITY;
            for (double reg : new double[] {0.2, 0.05, 0.01, 0.002}) {
                assertTrue(s.solve(n, reg, 200_000, 1e-5), "reg " + reg + ": error " + s.lastError() + " after " + s.iterations());
                double gap = s.planCost(n) - exact;
                assertTrue(gap > -1e-3 * exact, "seed " + seed + ", reg " + reg + ": plan cost below the optimum by " + -gap);
                // Entropic bound: ⟨C, P_ε⟩ − OT ≤ ε·(H(P_OT) − H(P_ε)) ≤ ε·log n per unit mass; n units here.
                assertTrue(gap <= n * reg * max * Math.log(n) + 1e-3 * exact, "seed " + seed + ", reg " + reg + ": gap " + gap);
                assertTrue(gap < prevGap + 1e-4 * exact, "seed " + seed + ", reg " + reg + ": gap " + gap + " did not shrink from " + prevGap);
                prevGap = gap;
            }
            assertTrue(prevGap < 0.01 * exact, "seed " + seed + ": at reg 0.002 the plan costs " + prevGap + " more than the assignment's " + exact);
            if (seed == 1) assertTrue(s.absorptions() > 0, "small reg should have needed absorption");
        }
    }

    @Test
    void largeRegGivesTheUniformPlan() {
        int n = 37;
        Sinkhorn s = new Sinkhorn(n);
        fillCost(s.cost(), n, 9);
        assertTrue(s.solve(n, 1e4, 100, 1e-6));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) assertEquals(1, n * n * s.plan(n, i, j), 1e-3);
        // And a moderate reg is far from uniform (the test above can fail).
        s.solve(n, 0.05, 1000, 1e-4);
        double worst = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) worst = Math.max(worst, Math.abs(n * n * s.plan(n, i, j) - 1));
        assertTrue(worst > 0.5);
    }

    @Test
    void equalPointsGiveTheUniformPlan() {
        int n = 9;
        Sinkhorn s = new Sinkhorn(n);
        java.util.Arrays.fill(s.cost(), 0f);
        assertTrue(s.solve(n, 0.05, 10, 1e-6));
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) assertEquals(1.0 / (n * n), s.plan(n, i, j), 1e-6);
    }

    @Test
    void drawsFollowTheRowsOfThePlan() {
        int n = 6, draws = 60_000;
        Sinkhorn s = new Sinkhorn(n);
        fillCost(s.cost(), n, 21);
        s.solve(n, 0.3, 1000, 1e-5);
        Rng rng = new Rng(4);
        for (int i = 0; i < n; i++) {
            int[] count = new int[n];
            for (int k = 0; k < draws; k++) count[s.sampleColumn(n, i, rng.nextDouble())]++;
            double row = 0;
            for (int j = 0; j < n; j++) row += s.plan(n, i, j);
            for (int j = 0; j < n; j++) {
                double p = s.plan(n, i, j) / row;
                assertEquals(p, count[j] / (double) draws, 4 * Math.sqrt(p * (1 - p) / draws) + 1e-4, "row " + i + ", column " + j);
            }
        }
        // The end points of [0, 1) land on columns with weight.
        for (int i = 0; i < n; i++) {
            assertTrue(s.plan(n, i, s.sampleColumn(n, i, 0.0)) > 0);
            assertTrue(s.plan(n, i, s.sampleColumn(n, i, Math.nextDown(1.0))) > 0);
        }
    }

    @Test
    void couplingDrawsNoiseRowsDeterministicallyAndKeepsData() {
        int rows = 96, dim = 2;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x0 = arena.allocate(4L * rows * dim), x1 = arena.allocate(4L * rows * dim);
            float[][] out = new float[3][];
            for (int run = 0; run < 3; run++) {
                Rng data = new Rng(8);
                new Checkerboard().sample(data, x1, rows);
                data.fillGaussian(x0, (long) rows * dim, 1f);
                float[] before0 = x0.toArray(ValueLayout.JAVA_FLOAT), before1 = x1.toArray(ValueLayout.JAVA_FLOAT);
                SinkhornCoupling sk = (SinkhornCoupling) Coupling.byName("sinkhorn", rows, dim, 0.05);
                assertEquals("sinkhorn", sk.name());
                assertEquals("0.05", sk.metadata().get("sinkhorn_reg"));
                sk.pair(x0, x1, rows, dim, new Rng(run < 2 ? 1 : 2));
                out[run] = x0.toArray(ValueLayout.JAVA_FLOAT);
                assertArrayEquals(before1, x1.toArray(ValueLayout.JAVA_FLOAT), "x1 untouched");
                double paired = 0, independent = 0;
                for (int r = 0; r < rows; r++) {
                    int j = sk.choiceOf(r);
                    assertTrue(java.util.Arrays.equals(out[run], r * dim, r * dim + dim, before0, j * dim, j * dim + dim), "row " + r);
                    for (int k = 0; k < dim; k++) {
                        paired += Math.pow(before1[r * dim + k] - out[run][r * dim + k], 2);
                        independent += Math.pow(before1[r * dim + k] - before0[r * dim + k], 2);
                    }
                }
                assertTrue(paired < 0.7 * independent, "paired cost " + paired + " vs independent " + independent);
            }
            assertArrayEquals(out[0], out[1], "same seed, same pairing");
            assertFalse(java.util.Arrays.equals(out[0], out[2]), "another seed draws other pairs");
        }
    }
}
