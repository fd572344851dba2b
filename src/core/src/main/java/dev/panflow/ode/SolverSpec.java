package dev.panflow.ode;

/**
 * Which solver to run and its settings: {@code steps} for the fixed-step methods, {@code atol}
 * and {@code rtol} for dopri5 and dopri5-point, {@code maxSteps} and {@code minStep} (0: none)
 * for dopri5-point's per-point bounds. {@link #open()} makes the solver.
 */
public record SolverSpec(SolverKind kind, int steps, double atol, double rtol, int maxSteps, double minStep) {
    /** With dopri5-point's default bounds. */
    public SolverSpec(SolverKind kind, int steps, double atol, double rtol) {
        this(kind, steps, atol, rtol, Dopri5PerPoint.DEFAULT_MAX_STEPS, 0);
    }

    public static SolverSpec fixed(SolverKind kind, int steps) { return new SolverSpec(kind, steps, 1e-5, 1e-5); }

    public static SolverSpec adaptive(double atol, double rtol) { return new SolverSpec(SolverKind.DOPRI5, 0, atol, rtol); }

    public OdeSolver open() {
        if (kind == SolverKind.DOPRI5_POINT) {
            Solvers.byName(kind.id(), steps, atol, rtol).close(); // the same checks and messages
            return new Dopri5PerPoint(atol, rtol, 0, minStep, maxSteps);
        }
        return Solvers.byName(kind.id(), steps, atol, rtol);
    }
}
