package dev.panflow.ode;

/**
 * Which solver to run and its settings: {@code steps} for the fixed-step methods, {@code atol}
 * and {@code rtol} for dopri5. {@link #open()} makes the solver.
 */
public record SolverSpec(SolverKind kind, int steps, double atol, double rtol) {
    public static SolverSpec fixed(SolverKind kind, int steps) { return new SolverSpec(kind, steps, 1e-5, 1e-5); }

    public static SolverSpec adaptive(double atol, double rtol) { return new SolverSpec(SolverKind.DOPRI5, 0, atol, rtol); }

    public OdeSolver open() { return Solvers.byName(kind.id(), steps, atol, rtol); }
}
