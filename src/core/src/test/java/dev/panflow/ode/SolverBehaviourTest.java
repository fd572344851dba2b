package dev.panflow.ode;

import static org.junit.jupiter.api.Assertions.*;

import dev.panflow.UserError;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class SolverBehaviourTest {
    static final int N = 7;

    static List<Supplier<OdeSolver>> all() {
        return List.of(() -> new Euler(400), () -> new Midpoint(100), () -> new Heun(100), () -> new Rk4(40),
                () -> new Dopri5(1e-6, 1e-6));
    }

    @Test
    void fixedStepNfeIsExact() {
        int[] perStep = {1, 2, 2, 4};
        OdeSolver[] solvers = {new Euler(N), new Midpoint(N), new Heun(N), new Rk4(N)};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * 3 * 4);
            for (int i = 0; i < solvers.length; i++) {
                try (OdeSolver s = solvers[i]) {
                    RotatingField f = new RotatingField(4);
                    SolveStats st = s.solve(f, x, 3, 0, 1);
                    assertEquals(perStep[i] * N, st.nfe(), s.name());
                    assertEquals(f.calls, st.nfe(), s.name());
                    assertEquals(new SolveStats(perStep[i] * N, N, 0), st);
                }
            }
        }
    }

    @Test
    void forwardThenBackwardReturnsToStart() {
        int rows = 6, dim = 3;
        float[] x0 = SolverOrderTest.initial(rows, dim, 5);
        for (Supplier<OdeSolver> make : all()) {
            try (Arena arena = Arena.ofConfined(); OdeSolver s = make.get()) {
                MemorySegment x = arena.allocate(4L * x0.length);
                MemorySegment.copy(x0, 0, x, RotatingField.F32, 0, x0.length);
                RotatingField f = new RotatingField(dim);
                s.solve(f, x, rows, 0, 2);
                s.solve(f, x, rows, 2, 0);
                double err = 0;
                for (int i = 0; i < x0.length; i++) err = Math.max(err, Math.abs(x.getAtIndex(RotatingField.F32, i) - x0[i]));
                // Euler's round trip is only first order accurate.
                double tol = s instanceof Euler ? 0.2 : 2e-3;
                assertTrue(err < tol, s.name() + " round trip error " + err);
            }
        }
    }

    @Test
    void zeroLengthIntervalDoesNothing() {
        for (Supplier<OdeSolver> make : all()) {
            try (Arena arena = Arena.ofConfined(); OdeSolver s = make.get()) {
                MemorySegment x = arena.allocate(8);
                x.setAtIndex(RotatingField.F32, 0, 1f);
                assertEquals(new SolveStats(0, 0, 0), s.solve(new RotatingField(2), x, 1, 0.5f, 0.5f));
                assertEquals(1f, x.getAtIndex(RotatingField.F32, 0));
            }
        }
    }

    @Test
    void buffersAreReusedAcrossBatchSizesAndAfterClose() {
        // Shrinking, growing and closing must not change results.
        float[] x0 = SolverOrderTest.initial(8, 2, 3);
        for (Supplier<OdeSolver> make : all()) {
            float[] ref = solveFresh(make.get(), x0, 8);
            try (OdeSolver s = make.get()) {
                solveWith(s, x0, 3);
                assertArrayEquals(ref, solveWith(s, x0, 8), s.name());
                solveWith(s, x0, 2);
                assertArrayEquals(ref, solveWith(s, x0, 8), s.name());
                s.close();
                assertArrayEquals(ref, solveWith(s, x0, 8), s.name());
            }
        }
    }

    private static float[] solveFresh(OdeSolver s, float[] x0, int rows) {
        try (s) { return solveWith(s, x0, rows); }
    }

    private static float[] solveWith(OdeSolver s, float[] x0, int rows) {
        int dim = 2;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * rows * dim);
            MemorySegment.copy(x0, 0, x, RotatingField.F32, 0, rows * dim);
            s.solve(new RotatingField(dim), x, rows, 0, 1);
            float[] out = new float[rows * dim];
            MemorySegment.copy(x, RotatingField.F32, 0, out, 0, out.length);
            return out;
        }
    }

    @Test
    void byNameMakesEachSolverAndRejectsBadInput() {
        for (String name : new String[] {"euler", "midpoint", "heun", "rk4", "dopri5", " RK4 "}) {
            try (OdeSolver s = Solvers.byName(name, 10, 1e-5, 1e-5)) {
                assertEquals(name.trim().toLowerCase(), s.name());
            }
        }
        UserError e = assertThrows(UserError.class, () -> Solvers.byName("rk45", 10, 1e-5, 1e-5));
        assertTrue(e.getMessage().contains("'rk45'") && e.getMessage().contains("euler, midpoint, heun, rk4, dopri5"), e.getMessage());
        assertThrows(UserError.class, () -> Solvers.byName("euler", 0, 1e-5, 1e-5));
        assertThrows(UserError.class, () -> Solvers.byName("dopri5", 10, 0, 0));
    }

    @Test
    void rejectsTooSmallState() {
        try (Arena arena = Arena.ofConfined(); OdeSolver s = new Euler(1)) {
            MemorySegment x = arena.allocate(4L * 5);
            assertThrows(IllegalArgumentException.class, () -> s.solve(new RotatingField(3), x, 2, 0, 1));
        }
    }

    /** Chunks of a threaded fixed-step solve: a multiple of the threads, within a row of each other, within the capacity. */
    @Test
    void chunkedSolvesCutRowsEvenlyOverTheThreads() {
        assertEquals(150, FixedStepSolver.chunkRows(300, 256, 2));   // not 256 + 44
        assertEquals(8, FixedStepSolver.chunkRows(16, 256, 2));
        assertEquals(256, FixedStepSolver.chunkRows(16384, 256, 2));
        assertEquals(150, FixedStepSolver.chunkRows(600, 256, 2));   // 3 chunks of the capacity would leave a thread idle
        for (int slots : new int[] {2, 3, 4})
            for (int cap : new int[] {64, 256, 2048})
                for (int rows = 2 * FixedStepSolver.MIN_CHUNK_ROWS; rows < 3000; rows += 37) {
                    int per = FixedStepSolver.chunkRows(rows, cap, slots), count = (rows + per - 1) / per;
                    String what = rows + " rows, capacity " + cap + ", " + slots + " threads: " + count + " × " + per;
                    assertTrue(per <= cap && per >= FixedStepSolver.MIN_CHUNK_ROWS, what);
                    assertTrue(rows - (long) (count - 1) * per >= per - count, "the last chunk is short: " + what);
                    if (rows >= slots * FixedStepSolver.MIN_CHUNK_ROWS) assertTrue(count >= slots, "a thread without a chunk: " + what);
                }
    }
}
