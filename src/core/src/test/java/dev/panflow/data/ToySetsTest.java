package dev.panflow.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

class ToySetsTest {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final int N = 20_000;

    static MemorySegment sample(DataSource ds, Arena arena, int n, long seed) {
        MemorySegment out = arena.allocate(4L * ds.dim() * n, 64);
        ds.sample(new Rng(seed), out, n);
        return out;
    }

    /** mean x, mean y, min x, max x, min y, max y */
    static double[] stats(MemorySegment s, int n) {
        double mx = 0, my = 0, x0 = 1e9, x1 = -1e9, y0 = 1e9, y1 = -1e9;
        for (int i = 0; i < n; i++) {
            double x = s.getAtIndex(F, 2L * i), y = s.getAtIndex(F, 2L * i + 1);
            assertTrue(Double.isFinite(x) && Double.isFinite(y));
            mx += x; my += y;
            x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        }
        return new double[] {mx / n, my / n, x0, x1, y0, y1};
    }

    @Test
    void checkerboardSamplesAreAllOnTheOnSquares() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = sample(new Checkerboard(), a, 100_000, 1);
            assertEquals(1.0, Checkerboard.onFraction(s, 100_000));
            assertEquals(1.0, Checkerboard.insideFraction(s, 100_000));
            double[] st = stats(s, 100_000);
            assertEquals(0, st[0], 0.05);
            assertEquals(0, st[1], 0.05);
            assertTrue(st[2] >= -4 && st[3] < 4 && st[4] >= -4 && st[5] < 4, "in [-4,4)²");
            assertTrue(st[2] < -3.9 && st[3] > 3.9 && st[4] < -3.9 && st[5] > 3.9, "fills the board");
            // All 8 "on" squares (unscaled) are populated about equally: 1/8 each.
            int[] counts = new int[16];
            for (int i = 0; i < 100_000; i++) {
                int ax = (int) Math.floor(s.getAtIndex(F, 2L * i) / 2) + 2, by = (int) Math.floor(s.getAtIndex(F, 2L * i + 1) / 2) + 2;
                counts[ax * 4 + by]++;
            }
            for (int ax = 0; ax < 4; ax++)
                for (int by = 0; by < 4; by++) {
                    int c = counts[ax * 4 + by];
                    if ((ax + by) % 2 == 0) assertEquals(12_500, c, 600, "square " + ax + "," + by);
                    else assertEquals(0, c);
                }
        }
    }

    @Test
    void uniformNoiseIsHalfOn() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(8L * N);
            Rng rng = new Rng(2);
            rng.fillUniform(s, 2L * N, -4, 4);
            assertEquals(0.5, Checkerboard.onFraction(s, N), 0.015);
            assertEquals(1.0, Checkerboard.insideFraction(s, N));
            s.setAtIndex(F, 0, Float.NaN);
            s.setAtIndex(F, 2, 4.0f); // x = 4 is just off the board
            assertEquals((N - 2) / (double) N, Checkerboard.insideFraction(s, N), 0.0);
        }
    }

    @Test
    void onFractionKnownPoints() {
        try (Arena a = Arena.ofConfined()) {
            // (0.5, 0.5)·2 on (a=b=0); (2.5, 0.5) off (a=1,b=0); (-3.9, -3.9) on (a=b=-2)
            MemorySegment s = a.allocateFrom(ValueLayout.JAVA_FLOAT, 1f, 1f, 5f, 1f, -3.9f, -3.9f, 3.9f, -1f);
            assertEquals(3 / 4.0, Checkerboard.onFraction(s, 4));
            assertEquals(0.0, Checkerboard.onFraction(s, 0));
        }
    }

    @Test
    void eightGaussiansCoversEveryModeEvenly() {
        double[][] c = EightGaussians.centers();
        assertEquals(8, c.length);
        for (double[] p : c) assertEquals(4 / 1.414, Math.hypot(p[0], p[1]), 1e-12);
        assertEquals(2.828, c[0][0], 1e-3);
        assertEquals(0, c[2][0], 1e-12);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = sample(new EightGaussians(), a, N, 3);
            int[] cov = EightGaussians.modeCoverage(s, N);
            int total = 0;
            for (int k : cov) {
                assertEquals(N / 8.0, k, 300);
                total += k;
            }
            assertEquals(1 - Math.exp(-4.5), total / (double) N, 0.004, "2-D Gaussian mass within radius 3σ");
            double[] st = stats(s, N);
            assertEquals(0, st[0], 0.06);
            assertEquals(0, st[1], 0.06);
            // Sample std around each mode ≈ STD.
            double ss = 0;
            for (int i = 0; i < N; i++) {
                double x = s.getAtIndex(F, 2L * i), y = s.getAtIndex(F, 2L * i + 1), best = 1e9;
                for (double[] p : c) best = Math.min(best, (x - p[0]) * (x - p[0]) + (y - p[1]) * (y - p[1]));
                ss += best;
            }
            assertEquals(EightGaussians.STD, Math.sqrt(ss / (2 * N)), 0.01);
        }
    }

    @Test
    void modeCoverageMissesEmptyModes() {
        try (Arena a = Arena.ofConfined()) {
            double[][] c = EightGaussians.centers();
            MemorySegment s = a.allocateFrom(ValueLayout.JAVA_FLOAT, (float) c[3][0], (float) c[3][1], 0f, 0f);
            assertArrayEquals(new int[] {0, 0, 0, 1, 0, 0, 0, 0}, EightGaussians.modeCoverage(s, 2));
        }
    }

    @Test
    void moonsCirclesSpiralsHaveSaneExtent() {
        try (Arena a = Arena.ofConfined()) {
            double[] m = stats(sample(new Moons(), a, N, 4), N);
            assertEquals(0, m[0], 0.05);
            assertEquals(0, m[1], 0.05);
            assertTrue(m[2] > -4.2 && m[2] < -2.8 && m[3] > 2.8 && m[3] < 4.2, "moons x extent " + m[2] + " " + m[3]);
            assertTrue(m[4] > -2.3 && m[5] < 2.3, "moons y extent");

            MemorySegment cs = sample(new Circles(), a, N, 5);
            double[] ci = stats(cs, N);
            assertEquals(0, ci[0], 0.05);
            assertEquals(0, ci[1], 0.05);
            int inner = 0, outer = 0;
            for (int i = 0; i < N; i++) {
                double r = Math.hypot(cs.getAtIndex(F, 2L * i), cs.getAtIndex(F, 2L * i + 1));
                if (Math.abs(r - Circles.INNER) < 0.5) inner++;
                else if (Math.abs(r - Circles.OUTER) < 0.5) outer++;
            }
            assertEquals(N, inner + outer, "every point near a ring");
            assertEquals(N / 2.0, inner, 300);

            MemorySegment sp = sample(new Spirals(), a, N, 6);
            double[] s = stats(sp, N);
            assertEquals(0, s[0], 0.08);
            assertEquals(0, s[1], 0.08);
            assertTrue(s[2] > -4 && s[3] < 4 && s[4] > -4 && s[5] < 4 && s[3] > 2.5 && s[2] < -2.5, "spiral extent");
            double rmax = 0;
            for (int i = 0; i < N; i++) rmax = Math.max(rmax, Math.hypot(sp.getAtIndex(F, 2L * i), sp.getAtIndex(F, 2L * i + 1)));
            assertTrue(rmax > 3 && rmax < 4, "rmax " + rmax);
        }
    }

    @Test
    void sameSeedSameSamplesAndNames() {
        for (DataSource ds : List.of(new Checkerboard(), new EightGaussians(), new Moons(), new Circles(), new Spirals())) {
            assertEquals(2, ds.dim());
            assertTrue(Datasets.builtinNames().contains(ds.name()));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment x = sample(ds, a, 64, 7), y = sample(ds, a, 64, 7);
                assertEquals(-1, x.mismatch(y), ds.name());
            }
        }
    }

    @Test
    void samplingDoesNotAllocateOnTheHeap() {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (Arena a = Arena.ofConfined()) {
            Tensor data = Tensor.allocate(a, 100, 3);
            List<DataSource> all = List.of(new Checkerboard(), new EightGaussians(), new Moons(), new Circles(), new Spirals(),
                    new ArrayDataSource(data));
            MemorySegment out = a.allocate(4L * 3 * 256, 64);
            Rng rng = new Rng(1);
            for (int warm = 0; warm < 200; warm++) for (DataSource ds : all) ds.sample(rng, out, 256);
            long tid = Thread.currentThread().threadId();
            for (DataSource ds : all) {
                long before = mx.getThreadAllocatedBytes(tid);
                for (int k = 0; k < 100; k++) ds.sample(rng, out, 256);
                long bytes = mx.getThreadAllocatedBytes(tid) - before;
                assertTrue(bytes < 1024, ds.name() + " allocated " + bytes + " bytes in 100 calls");
            }
        }
    }

    @Test
    void sampleChecksTheOutputSize() {
        try (Arena a = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> new Moons().sample(new Rng(1), a.allocate(8 * 9), 10));
        }
    }
}
