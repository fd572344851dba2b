package dev.panflow.ode;

import dev.panflow.kernels.Elementwise;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An adaptive solver run in a schedule's variable: a solve over [t0, t1] integrates
 * dx/ds = (t1 − t0)·φ'(s)·v(x, t0 + (t1 − t0)·φ(s)) for s from 0 to 1, so its steps, uniform
 * in s where the error allows, fall as the schedule {@link TimeSchedule} places them.
 */
final class ScheduledSolver implements OdeSolver {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private final OdeSolver inner;
    private final TimeSchedule schedule;
    private final Warped warped = new Warped();

    ScheduledSolver(OdeSolver inner, TimeSchedule schedule) {
        this.inner = inner;
        this.schedule = schedule;
    }

    @Override
    public SolveStats solve(VelocityField f, MemorySegment x, int rows, float t0, float t1) {
        if (t0 == t1) return inner.solve(f, x, rows, t0, t1);
        warped.f = f;
        warped.t0 = t0;
        warped.span = (double) t1 - t0;
        try {
            return inner.solve(warped, x, rows, 0f, 1f);
        } finally {
            warped.f = null;
        }
    }

    @Override public String name() { return inner.name() + "@" + schedule; }

    @Override
    public void close() {
        inner.close();
        warped.free();
    }

    /** The field in s: (t1 − t0)·φ'(s)·v(x, t(s)). */
    private final class Warped implements VelocityField {
        VelocityField f;
        double t0, span;
        private Arena arena;
        private MemorySegment times = MemorySegment.NULL;

        @Override public int dim() { return f.dim(); }

        private float time(double s) { return (float) (t0 + span * schedule.at(s)); }

        @Override
        public void eval(float s, MemorySegment x, MemorySegment out, int rows) {
            f.eval(time(s), x, out, rows);
            long n = (long) rows * f.dim();
            Elementwise.scale(out, (float) (span * schedule.derivative(s)), out, n);
        }

        @Override
        public void evalPerRow(MemorySegment s, MemorySegment x, MemorySegment out, int rows) {
            if (times.byteSize() < 4L * rows) {
                free();
                arena = Arena.ofShared();
                times = arena.allocate(4L * Math.max(rows, 64), 64);
            }
            for (int r = 0; r < rows; r++) times.setAtIndex(F32, r, time(s.getAtIndex(F32, r)));
            f.evalPerRow(times, x, out, rows);
            int d = f.dim();
            for (int r = 0; r < rows; r++) {
                float c = (float) (span * schedule.derivative(s.getAtIndex(F32, r)));
                for (int j = 0; j < d; j++) {
                    long i = (long) r * d + j;
                    out.setAtIndex(F32, i, c * out.getAtIndex(F32, i));
                }
            }
        }

        void free() {
            if (arena != null) arena.close();
            arena = null;
            times = MemorySegment.NULL;
        }
    }
}
