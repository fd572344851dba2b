package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.api.LikelihoodRequest;
import dev.panflow.api.SampleRequest;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.SolverKind;
import dev.panflow.ode.SolverSpec;
import dev.panflow.ode.TimeSchedule;
import picocli.CommandLine.Option;

/**
 * --solver, --atol and --rtol, read once into a {@link SolverSpec}; the subclass names the steps
 * flag (--steps, or --pair-steps where --steps counts training steps). The command chooses the
 * default solver.
 */
abstract class SolverSettings {
    @Option(names = "--solver", description = "euler, midpoint, heun, rk4, dopri5 (adaptive, one step size for the batch) or dopri5-point "
            + "(adaptive, a step size and error control per point; prints NFE mean/max per point) (default: ${DEFAULT-VALUE}).")
    String solver;
    @Option(names = "--atol", description = "dopri5 / dopri5-point absolute tolerance (default: ${DEFAULT-VALUE}).")
    double atol = 1e-5;
    @Option(names = "--rtol", description = "dopri5 / dopri5-point relative tolerance (default: ${DEFAULT-VALUE}).")
    double rtol = 1e-5;

    @Option(names = "--max-steps", paramLabel = "N", description = "dopri5-point: step attempts per point, after which the point stops where it is "
            + "(a warning counts such points; the run still succeeds) (default: ${DEFAULT-VALUE}).")
    int maxSteps = dev.panflow.ode.Dopri5PerPoint.DEFAULT_MAX_STEPS;
    @Option(names = "--min-step", paramLabel = "H", description = "dopri5-point: smallest step size (a step at it is accepted whatever its error); 0: none (default: ${DEFAULT-VALUE}).")
    double minStep = 0;
    @Option(names = "--time-schedule", paramLabel = "uniform|shift:S|logit", description = "Where the solver's steps fall in time (sampling): uniform; "
            + "shift:S, Stable Diffusion 3's shift of the noise level σ = 1 − t to S·σ/(1 + (S − 1)·σ) (S > 1: more steps near the noise); or logit "
            + "(denser near both ends). Fixed-step solvers step between its grid points, dopri5 integrates in its variable (default: ${DEFAULT-VALUE}).")
    String timeSchedule = "uniform";

    SolverSettings(String defaultSolver) { this.solver = defaultSolver; }

    /** Steps of a fixed-step solver. */
    abstract int steps();

    /** The checked settings. */
    SolverSpec spec() {
        if (!(atol > 0) || !(rtol > 0)) throw new UserError("--atol and --rtol must be > 0");
        SolverKind kind = SolverKind.parse(solver);
        if (kind.fixedStep() && steps() < 1) throw new UserError("steps must be at least 1, got " + steps());
        return new SolverSpec(kind, Math.max(1, steps()), atol, rtol, maxSteps, minStep, TimeSchedule.parse(timeSchedule));
    }

    /** n points with these settings (seed 0, unconditional). */
    SampleRequest request(int n) {
        SolverSpec s = spec();
        return SampleRequest.of(n).solver(s.kind()).steps(s.steps()).tolerances(s.atol(), s.rtol()).stepBounds(maxSteps, minStep)
                .timeSchedule(s.schedule());
    }

    /** {@code base} with these settings. */
    LikelihoodRequest likelihood(LikelihoodRequest base) {
        SolverSpec s = spec();
        if (!s.schedule().isUniform()) throw new UserError("--time-schedule applies to sampling; nll integrates on the uniform schedule");
        return base.solver(s.kind().id(), s.steps()).tolerances(s.atol(), s.rtol()).stepBounds(maxSteps, minStep);
    }

    /** The solver's name for logs ("dopri5 (atol 1e-05, rtol 1e-05)"). */
    String describe() {
        try (OdeSolver ode = spec().open()) {
            return ode.name();
        }
    }
}
