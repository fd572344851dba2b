package dev.panflow.api;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.ode.Dopri5PerPoint;
import dev.panflow.ode.SolverKind;
import dev.panflow.ode.SolverSpec;
import dev.panflow.ode.TimeSchedule;

/**
 * What to sample: how many points, the solver and its settings, the seed of the noise, and for a
 * class-conditional model the class and the classifier-free guidance weight. Immutable: each
 * wither returns a new request. The same request on the same model gives the same numbers,
 * whatever else runs at the time.
 *
 * <pre>{@code SampleRequest.of(1000).solver("rk4").steps(25).seed(42)}</pre>
 */
public record SampleRequest(int n, SolverKind solver, int steps, double atol, double rtol, long seed,
                            Integer classLabel, float guidance, int maxSteps, double minStep, TimeSchedule timeSchedule) {
    /** Most points one request may ask for. */
    public static final int MAX_POINTS = 100_000_000;

    public SampleRequest {
        if (n < 1 || n > MAX_POINTS) throw InvalidParameterException.range("n", 1, MAX_POINTS, n);
        if (solver == null) throw new InvalidParameterException("solver is null", "solver");
        if (solver.fixedStep() && (steps < 1 || steps > 1_000_000)) throw InvalidParameterException.range("steps", 1, 1_000_000, steps);
        if (!(atol > 0) || !(rtol > 0) || !Double.isFinite(atol) || !Double.isFinite(rtol))
            throw new InvalidParameterException("atol and rtol must be > 0, got atol " + atol + ", rtol " + rtol, "atol", "rtol");
        if (classLabel != null && classLabel < 0) throw InvalidParameterException.atLeast("classLabel", 0, classLabel);
        if (!(guidance >= 0 && guidance <= 100)) throw new InvalidParameterException("guidance must be in [0, 100], got " + guidance, "guidance");
        if (maxSteps < 1) throw InvalidParameterException.atLeast("maxSteps", 1, maxSteps);
        if (!(minStep >= 0) || !Double.isFinite(minStep)) throw new InvalidParameterException("minStep must be finite and >= 0, got " + minStep, "minStep");
        if (timeSchedule == null) timeSchedule = TimeSchedule.UNIFORM;
    }

    /** With the uniform time schedule. */
    public SampleRequest(int n, SolverKind solver, int steps, double atol, double rtol, long seed, Integer classLabel, float guidance,
                         int maxSteps, double minStep) {
        this(n, solver, steps, atol, rtol, seed, classLabel, guidance, maxSteps, minStep, TimeSchedule.UNIFORM);
    }

    /** With dopri5-point's default step bounds (maxSteps {@value Dopri5PerPoint#DEFAULT_MAX_STEPS}, no minStep). */
    public SampleRequest(int n, SolverKind solver, int steps, double atol, double rtol, long seed, Integer classLabel, float guidance) {
        this(n, solver, steps, atol, rtol, seed, classLabel, guidance, Dopri5PerPoint.DEFAULT_MAX_STEPS, 0);
    }

    /** n points, Euler with 100 steps, seed 0, unconditional. */
    public static SampleRequest of(int n) {
        return new SampleRequest(n, SolverKind.EULER, 100, 1e-5, 1e-5, 0, null, 0f, Dopri5PerPoint.DEFAULT_MAX_STEPS, 0);
    }

    public SampleRequest n(int n) { return new SampleRequest(n, solver, steps, atol, rtol, seed, classLabel, guidance, maxSteps, minStep, timeSchedule); }

    /** euler, midpoint, heun, rk4 or dopri5. */
    public SampleRequest solver(String name) { return solver(SolverKind.parse(name)); }

    public SampleRequest solver(SolverKind kind) { return new SampleRequest(n, kind, steps, atol, rtol, seed, classLabel, guidance, maxSteps, minStep, timeSchedule); }

    /** Steps of a fixed-step solver. */
    public SampleRequest steps(int steps) { return new SampleRequest(n, solver, steps, atol, rtol, seed, classLabel, guidance, maxSteps, minStep, timeSchedule); }

    /** Tolerances of dopri5. */
    public SampleRequest tolerances(double atol, double rtol) {
        return new SampleRequest(n, solver, steps, atol, rtol, seed, classLabel, guidance, maxSteps, minStep, timeSchedule);
    }

    /**
     * dopri5-point's bounds per point: after maxSteps step attempts a point stops where it is
     * (counted in {@link Samples#unfinishedPoints()}, not an error); minStep (0: none) is the
     * smallest step it takes before landing on t_max.
     */
    public SampleRequest stepBounds(int maxSteps, double minStep) {
        return new SampleRequest(n, solver, steps, atol, rtol, seed, classLabel, guidance, maxSteps, minStep, timeSchedule);
    }

    public SampleRequest seed(long seed) { return new SampleRequest(n, solver, steps, atol, rtol, seed, classLabel, guidance, maxSteps, minStep, timeSchedule); }

    /** Every sample of this class (a class-conditional model); without it samples cycle through the classes. */
    public SampleRequest classLabel(int c) { return new SampleRequest(n, solver, steps, atol, rtol, seed, c, guidance, maxSteps, minStep, timeSchedule); }

    /** Classifier-free guidance weight w: v = (1 + w)·v(x | class) − w·v(x). */
    public SampleRequest guidance(float w) { return new SampleRequest(n, solver, steps, atol, rtol, seed, classLabel, w, maxSteps, minStep, timeSchedule); }

    /**
     * Whether this request and {@code other} can be solved in one {@link Flow#sampleBatch}: the
     * same solver, one whose points do not depend on each other, with the same settings (steps and time schedule;
     * or dopri5-point's tolerances and step bounds) and the same guidance weight.
     */
    public boolean batchableWith(SampleRequest other) {
        if (!solver.rowsIndependent() || solver != other.solver || guidance != other.guidance
                || !timeSchedule.equals(other.timeSchedule)) return false;
        return solver.fixedStep() ? steps == other.steps
                : atol == other.atol && rtol == other.rtol && maxSteps == other.maxSteps && minStep == other.minStep;
    }


    /** Where the solver spends its steps in time: uniform, shift:S or logit ({@link TimeSchedule}). */
    public SampleRequest timeSchedule(String text) { return timeSchedule(TimeSchedule.parse(text)); }

    public SampleRequest timeSchedule(TimeSchedule s) {
        return new SampleRequest(n, solver, steps, atol, rtol, seed, classLabel, guidance, maxSteps, minStep, s);
    }

    SolverSpec solverSpec() { return new SolverSpec(solver, steps, atol, rtol, maxSteps, minStep, timeSchedule); }
}
