package dev.panflow.ode;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class Dopri5Test {
    static final int ROWS = 4, DIM = 5;

    record Run(SolveStats stats, double relError, int calls) {}

    static Run run(Dopri5 s, float t0, float t1) {
        float[] x0 = SolverOrderTest.initial(ROWS, DIM, 11);
        RotatingField f = new RotatingField(DIM);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * x0.length);
            MemorySegment.copy(x0, 0, x, RotatingField.F32, 0, x0.length);
            SolveStats st = s.solve(f, x, ROWS, t0, t1);
            double[] ex = f.exact(x0, ROWS, t0, t1);
            double err = 0, scale = 0;
            for (int i = 0; i < ex.length; i++) {
                err = Math.max(err, Math.abs(x.getAtIndex(RotatingField.F32, i) - ex[i]));
                scale = Math.max(scale, Math.abs(ex[i]));
            }
            return new Run(st, err / scale, f.calls);
        }
    }

    /** Error of the last {@link #runOne}. */
    static double lastError;

    /** One point (dim floats) from t0 to t1 on the rotating field; sets {@link #lastError}. */
    static SolveStats runOne(OdeSolver s, float[] x0, float t0, float t1) {
        RotatingField f = new RotatingField(x0.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * x0.length);
            MemorySegment.copy(x0, 0, x, RotatingField.F32, 0, x0.length);
            SolveStats st = s.solve(f, x, 1, t0, t1);
            double[] ex = f.exact(x0, 1, t0, t1);
            double err = 0, scale = 0;
            for (int i = 0; i < ex.length; i++) {
                err = Math.max(err, Math.abs(x.getAtIndex(RotatingField.F32, i) - ex[i]));
                scale = Math.max(scale, Math.abs(ex[i]));
            }
            lastError = err / scale;
            return st;
        }
    }

    @Test
    void meetsToleranceAndLooserToleranceCostsLess() {
        Run tight, loose;
        try (Dopri5 s = new Dopri5(1e-5, 1e-5)) { tight = run(s, 0, 3); }
        try (Dopri5 s = new Dopri5(1e-3, 1e-3)) { loose = run(s, 0, 3); }
        System.err.println("dopri5 tol 1e-5: " + tight + "\ndopri5 tol 1e-3: " + loose);
        // Global error may exceed the per-step tolerance by a small factor (errors add up).
        assertTrue(tight.relError() < 10 * 1e-5, "tol 1e-5: relative error " + tight.relError());
        assertTrue(loose.relError() < 10 * 1e-3, "tol 1e-3: relative error " + loose.relError());
        assertTrue(tight.relError() < loose.relError());
        assertTrue(loose.stats().nfe() < tight.stats().nfe(), "looser tolerance should need fewer NFE");
    }

    @Test
    void nfeCountsEveryEvaluation() {
        for (double tol : new double[] {1e-2, 1e-4, 1e-6}) {
            try (Dopri5 s = new Dopri5(tol, tol)) {
                Run r = run(s, 0, 3);
                SolveStats st = r.stats();
                assertEquals(r.calls(), st.nfe());
                // v at t0, one for the initial step guess, 6 per attempt (FSAL).
                assertEquals(2 + 6 * (st.acceptedSteps() + st.rejectedSteps()), st.nfe());
            }
            try (Dopri5 s = new Dopri5(tol, tol, 0.01, 100_000)) {
                Run r = run(s, 0, 3);
                assertEquals(r.calls(), r.stats().nfe());
                assertEquals(1 + 6 * (r.stats().acceptedSteps() + r.stats().rejectedSteps()), r.stats().nfe());
            }
        }
    }

    @Test
    void backwardInTimeIsAccurate() {
        try (Dopri5 s = new Dopri5(1e-6, 1e-6)) {
            Run r = run(s, 3, 0.25f);
            assertTrue(r.relError() < 1e-4, "backward error " + r.relError());
        }
    }

    @Test
    void rejectsStepsWhenTheFirstStepIsTooLarge() {
        try (Dopri5 s = new Dopri5(1e-6, 1e-6, 2.0, 100_000)) {
            Run r = run(s, 0, 3);
            assertTrue(r.stats().rejectedSteps() > 0);
            assertTrue(r.relError() < 1e-4);
        }
    }

    @Test
    void tooManyStepsThrows() {
        try (Dopri5 s = new Dopri5(1e-8, 1e-8, 0, 5)) {
            SolverFailure e = assertThrows(SolverFailure.class, () -> run(s, 0, 3));
            assertTrue(e.getMessage().contains("5 steps"), e.getMessage());
        }
    }

    @Test
    void nonFiniteFieldThrowsInsteadOfLooping() {
        VelocityField nan = new VelocityField() {
            @Override public int dim() { return 2; }
            @Override public void eval(float t, MemorySegment x, MemorySegment out, int rows) {
                for (int i = 0; i < rows * 2; i++) out.setAtIndex(RotatingField.F32, i, t > 0.5f ? Float.NaN : 1f);
            }
        };
        try (Arena arena = Arena.ofConfined(); Dopri5 s = new Dopri5(1e-5, 1e-5)) {
            MemorySegment x = arena.allocate(16);
            assertThrows(SolverFailure.class, () -> s.solve(nan, x, 2, 0, 1));
        }
    }
}
