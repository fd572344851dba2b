package dev.panflow.ode;

import java.lang.foreign.MemorySegment;

/**
 * Integrates dx/dt = v_t(x) in place on x[rows×dim] from t0 to t1 (t1 < t0 runs backwards).
 * Stage buffers are owned by the solver and reused across solves; close() frees them.
 * One solver per thread.
 */
public interface OdeSolver extends AutoCloseable {
    SolveStats solve(VelocityField f, MemorySegment x, int rows, float t0, float t1);

    /**
     * The same solve, telling {@code listener} how far it got between steps; the numbers are those
     * of {@link #solve(VelocityField, MemorySegment, int, float, float)}. By default it hears only
     * the end.
     */
    default SolveStats solve(VelocityField f, MemorySegment x, int rows, float t0, float t1, SolveListener listener) {
        SolveStats s = solve(f, x, rows, t0, t1);
        listener.onProgress(1.0, s.nfe());
        return s;
    }

    String name();

    @Override
    void close();
}
