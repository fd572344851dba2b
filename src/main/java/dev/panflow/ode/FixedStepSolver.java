package dev.panflow.ode;

import java.lang.foreign.MemorySegment;

/** Explicit Runge–Kutta with a fixed number of equal steps; time kept in double. */
abstract class FixedStepSolver extends AbstractSolver {
    protected final int steps;
    private final int stages;

    FixedStepSolver(int steps, int stages, int buffers) {
        super(buffers);
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        this.steps = steps;
        this.stages = stages;
    }

    public int steps() { return steps; }

    @Override
    public final SolveStats solve(VelocityField f, MemorySegment x, int rows, float t0, float t1) {
        long n = size(f, x, rows);
        if (t0 == t1 || n == 0) return new SolveStats(0, 0, 0);
        buffers(n);
        MemorySegment xs = x.asSlice(0, 4 * n);
        double h = ((double) t1 - t0) / steps;
        prepare((float) h);
        for (int i = 0; i < steps; i++) {
            // t_i = t0 + i·h, not a running sum, so rounding does not accumulate.
            step(f, xs, rows, n, t0 + i * h, h);
        }
        return new SolveStats(stages * steps, steps, 0);
    }

    /** Precomputes the stage coefficients for step size h. */
    abstract void prepare(float h);

    /** One step from t to t + h, in place on x. */
    abstract void step(VelocityField f, MemorySegment x, int rows, long n, double t, double h);
}
