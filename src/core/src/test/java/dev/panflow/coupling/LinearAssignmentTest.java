package dev.panflow.coupling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class LinearAssignmentTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Minimum over all n! permutations (Heap's algorithm), in double. */
    static double bruteForce(float[] c, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        double[] best = {Double.POSITIVE_INFINITY};
        permute(c, n, p, n, best);
        return best[0];
    }

    private static void permute(float[] c, int n, int[] p, int k, double[] best) {
        if (k == 1) {
            double s = 0;
            for (int i = 0; i < n; i++) s += c[i * n + p[i]];
            best[0] = Math.min(best[0], s);
            return;
        }
        for (int i = 0; i < k; i++) {
            permute(c, n, p, k - 1, best);
            int j = (k % 2 == 0) ? i : 0;
            int t = p[j];
            p[j] = p[k - 1];
            p[k - 1] = t;
        }
    }

    static void assertPermutation(LinearAssignment lap, int n) {
        boolean[] seen = new boolean[n];
        for (int i = 0; i < n; i++) {
            int j = lap.columnOf(i);
            assertTrue(j >= 0 && j < n && !seen[j], "column " + j + " of row " + i + " is out of range or taken twice");
            seen[j] = true;
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void optimalAgainstBruteForceOnRandomAndTiedCosts(boolean vectorized) {
        Rng rng = new Rng(17);
        LinearAssignment lap = new LinearAssignment(8, vectorized);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + trial % 8;
            float[] c = lap.cost();
            boolean ties = trial % 3 == 0;
            for (int i = 0; i < n * n; i++) c[i] = ties ? rng.nextInt(4) : (float) (10 * rng.nextDouble());
            float[] copy = java.util.Arrays.copyOf(c, n * n);
            double got = lap.solve(n);
            assertPermutation(lap, n);
            double sum = 0;
            for (int i = 0; i < n; i++) sum += copy[i * n + lap.columnOf(i)];
            assertEquals(sum, got, 1e-9, "returned total is the assignment's cost");
            assertEquals(bruteForce(copy, n), got, 1e-4, "trial " + trial + ", n " + n);
        }
    }

    @Test
    void vectorAndScalarSearchesAgreeOnRaggedSizes() {
        Rng rng = new Rng(29);
        for (int n : new int[] {1, 2, 3, 5, 9, 31, 64, 101, 257}) {
            LinearAssignment a = new LinearAssignment(n, true), b = new LinearAssignment(n, false);
            for (int i = 0; i < n * n; i++) a.cost()[i] = b.cost()[i] = (float) (n % 2 == 0 ? rng.nextInt(5) : 3 * rng.nextDouble());
            double ca = a.solve(n), cb = b.solve(n);
            assertEquals(cb, ca, 1e-6 * (1 + Math.abs(cb)), "n " + n);
            assertPermutation(a, n);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void largeProblemIsAPermutationNoWorseThanGreedyOrIdentity(boolean vectorized) {
        int n = 300;
        Rng rng = new Rng(3);
        LinearAssignment lap = new LinearAssignment(n, vectorized);
        float[] c = lap.cost();
        float[][] p = new float[n][2], q = new float[n][2];
        for (int i = 0; i < n; i++) {
            p[i][0] = (float) rng.nextGaussian();
            p[i][1] = (float) rng.nextGaussian();
            q[i][0] = (float) (4 * rng.nextDouble() - 2);
            q[i][1] = (float) (4 * rng.nextDouble() - 2);
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) c[i * n + j] = (float) (Math.pow(p[i][0] - q[j][0], 2) + Math.pow(p[i][1] - q[j][1], 2));
        float[] copy = java.util.Arrays.copyOf(c, n * n);
        double got = lap.solve(n);
        assertPermutation(lap, n);
        double identity = 0;
        for (int i = 0; i < n; i++) identity += copy[i * n + i];
        assertTrue(got < 0.5 * identity, "OT cost " + got + " vs identity pairing " + identity);
        // Optimality certificate: no 2-swap improves it.
        for (int i = 0; i < n; i++)
            for (int k = i + 1; k < n; k++) {
                int a = lap.columnOf(i), b = lap.columnOf(k);
                assertTrue(copy[i * n + b] + copy[k * n + a] >= copy[i * n + a] + copy[k * n + b] - 1e-4, "swap " + i + ", " + k);
            }
    }

    @Test
    void couplingPermutesNoiseRowsOptimally() {
        int rows = 7, dim = 3;
        Rng rng = new Rng(8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x0 = arena.allocate(4L * rows * dim), x1 = arena.allocate(4L * rows * dim);
            rng.fillGaussian(x0, (long) rows * dim, 1f);
            rng.fillGaussian(x1, (long) rows * dim, 2f);
            float[] before0 = x0.toArray(ValueLayout.JAVA_FLOAT), before1 = x1.toArray(ValueLayout.JAVA_FLOAT);
            float[] c = new float[rows * rows];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < rows; j++)
                    for (int k = 0; k < dim; k++) c[i * rows + j] += (float) Math.pow(before1[i * dim + k] - before0[j * dim + k], 2);
            MinibatchOtCoupling ot = new MinibatchOtCoupling(16, dim);
            ot.pair(x0, x1, rows, dim);
            float[] after0 = x0.toArray(ValueLayout.JAVA_FLOAT);
            assertEquals(java.util.Arrays.toString(before1), java.util.Arrays.toString(x1.toArray(ValueLayout.JAVA_FLOAT)), "x1 untouched");
            // Every new row of x0 is an old row, each used once.
            boolean[] used = new boolean[rows];
            double cost = 0;
            for (int r = 0; r < rows; r++) {
                int found = -1;
                for (int j = 0; j < rows && found < 0; j++)
                    if (!used[j] && java.util.Arrays.equals(after0, r * dim, r * dim + dim, before0, j * dim, j * dim + dim)) found = j;
                assertTrue(found >= 0, "row " + r + " of x0 is not one of the old rows");
                used[found] = true;
                cost += c[r * rows + found];
            }
            assertEquals(bruteForce(c, rows), cost, 1e-4);
            assertEquals(cost, ot.lastCost(), 1e-3);
            assertEquals("independent", Coupling.byName("independent", 4, 2).name());
        }
    }
}
