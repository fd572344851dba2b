package dev.panflow.ode;

import dev.panflow.UserError;

/** Solvers by name, as the CLI offers them. */
public final class Solvers {
    public static final String CHOICES = SolverKind.CHOICES;

    private Solvers() {}

    /** steps is used by the fixed-step methods, atol/rtol by dopri5 (and dopri5-point, with its default bounds). */
    public static OdeSolver byName(String name, int steps, double atol, double rtol) {
        return open(SolverKind.parse(name), steps, atol, rtol, Dopri5PerPoint.DEFAULT_MAX_STEPS, 0);
    }

    /** The same for a kind; maxSteps and minStep (≤ 0: none) bound dopri5-point's steps per point. */
    public static OdeSolver open(SolverKind kind, int steps, double atol, double rtol, int maxSteps, double minStep) {
        return open(kind, steps, atol, rtol, maxSteps, minStep, TimeSchedule.UNIFORM);
    }

    /**
     * The same with a time schedule: fixed-step solvers step between its grid points, adaptive
     * ones integrate in the schedule's variable s ({@link ScheduledSolver}).
     */
    public static OdeSolver open(SolverKind kind, int steps, double atol, double rtol, int maxSteps, double minStep, TimeSchedule schedule) {
        OdeSolver s = open0(kind, steps, atol, rtol, maxSteps, minStep);
        if (schedule == null || schedule.isUniform()) return s;
        if (s instanceof FixedStepSolver f) {
            f.schedule(schedule);
            return f;
        }
        return new ScheduledSolver(s, schedule);
    }

    private static OdeSolver open0(SolverKind kind, int steps, double atol, double rtol, int maxSteps, double minStep) {
        boolean fixed = kind.fixedStep();
        if (fixed && steps < 1) throw new UserError("steps must be at least 1, got " + steps);
        if (!fixed && !(atol >= 0 && rtol >= 0 && atol + rtol > 0))
            throw new UserError(kind.id() + " needs atol >= 0 and rtol >= 0, not both 0; got atol=" + atol + ", rtol=" + rtol);
        return switch (kind) {
            case EULER -> new Euler(steps);
            case MIDPOINT -> new Midpoint(steps);
            case HEUN -> new Heun(steps);
            case RK4 -> new Rk4(steps);
            case DOPRI5 -> new Dopri5(atol, rtol);
            case DOPRI5_POINT -> new Dopri5PerPoint(atol, rtol, 0, minStep, maxSteps);
        };
    }
}
