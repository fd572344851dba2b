package dev.panflow.ode;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The ODE solvers Panflow offers: four fixed-step Runge–Kutta methods and adaptive Dormand–Prince
 * 5(4), with one step size for the whole batch (dopri5) or one per point (dopri5-point,
 * {@link Dopri5PerPoint}).
 */
public enum SolverKind {
    EULER(true), MIDPOINT(true), HEUN(true), RK4(true), DOPRI5(false), DOPRI5_POINT(false);

    private final boolean fixedStep;

    SolverKind(boolean fixedStep) { this.fixedStep = fixedStep; }

    public boolean fixedStep() { return fixedStep; }

    /**
     * Whether a point's result is independent of the other points solved with it: true for the
     * fixed-step methods and dopri5-point, false for dopri5 (one step size for the whole batch).
     */
    public boolean rowsIndependent() { return this != DOPRI5; }

    /** The lower-case name users type ("rk4", "dopri5-point"). */
    public String id() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

    /** "euler, midpoint, heun, rk4, dopri5, dopri5-point". */
    public static final String CHOICES = Arrays.stream(values()).map(SolverKind::id).collect(Collectors.joining(", "));

    /** The solver named {@code name} (case-insensitive); an {@link IllegalArgumentException} listing the choices otherwise. */
    public static SolverKind parse(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (SolverKind k : values()) if (k.id().equals(n)) return k;
        throw new dev.panflow.UserError("unknown solver '" + name + "'; choose one of " + CHOICES);
    }
}
