package dev.panflow.ode;

/**
 * Which solver to run and its settings: {@code steps} for the fixed-step methods, {@code atol}
 * and {@code rtol} for dopri5 and dopri5-point, {@code maxSteps} and {@code minStep} (0: none)
 * for dopri5-point's per-point bounds, and the {@link TimeSchedule} of every solver.
 * {@link #open()} makes the solver.
 */
public record SolverSpec(SolverKind kind, int steps, double atol, double rtol, int maxSteps, double minStep, TimeSchedule schedule) {
    public SolverSpec {
        if (schedule == null) schedule = TimeSchedule.UNIFORM;
    }

    /** With the uniform schedule. */
    public SolverSpec(SolverKind kind, int steps, double atol, double rtol, int maxSteps, double minStep) {
        this(kind, steps, atol, rtol, maxSteps, minStep, TimeSchedule.UNIFORM);
    }

    /** With dopri5-point's default bounds. */
    public SolverSpec(SolverKind kind, int steps, double atol, double rtol) {
        this(kind, steps, atol, rtol, Dopri5PerPoint.DEFAULT_MAX_STEPS, 0);
    }

    public OdeSolver open() { return Solvers.open(kind, steps, atol, rtol, maxSteps, minStep, schedule); }
}
