package dev.panflow.api;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.ode.Divergence;
import dev.panflow.ode.Dopri5PerPoint;
import dev.panflow.ode.SolverKind;
import dev.panflow.ode.SolverSpec;

/**
 * How to compute log-likelihoods: the ODE [x, Δlog p] is integrated from t = 1 back to 0 with
 * d(Δlog p)/dt = −div v_t(x). The divergence is exact (one vector–Jacobian product per
 * dimension) or Hutchinson's estimator εᵀ(∂v/∂x)ε with {@code probes} Rademacher or Gaussian
 * probes per point; {@link DivergenceMethod#AUTO} is exact up to 64 dimensions. Points are
 * solved {@code batch} at a time (an adaptive solver takes one step size per solve).
 */
public record LikelihoodRequest(DivergenceMethod divergence, boolean gaussianProbes, int probes, long seed,
                                SolverKind solver, int steps, double atol, double rtol, int batch, int maxSteps, double minStep) {
    public enum DivergenceMethod { AUTO, EXACT, HUTCHINSON }

    public LikelihoodRequest {
        if (divergence == null || solver == null) throw new InvalidParameterException("divergence and solver must be given", "divergence", "solver");
        if (probes < 1 || probes > 1024) throw InvalidParameterException.range("probes", 1, 1024, probes);
        if (batch < 1 || batch > 1_000_000) throw InvalidParameterException.range("batch", 1, 1_000_000, batch);
        if (solver.fixedStep() && steps < 1) throw InvalidParameterException.atLeast("steps", 1, steps);
        if (!(atol > 0) || !(rtol > 0)) throw new InvalidParameterException("atol and rtol must be > 0, got atol " + atol + ", rtol " + rtol, "atol", "rtol");
        if (maxSteps < 1) throw InvalidParameterException.atLeast("maxSteps", 1, maxSteps);
        if (!(minStep >= 0) || !Double.isFinite(minStep)) throw new InvalidParameterException("minStep must be finite and >= 0, got " + minStep, "minStep");
    }

    /** With dopri5-point's default step bounds (maxSteps {@value Dopri5PerPoint#DEFAULT_MAX_STEPS}, no minStep). */
    public LikelihoodRequest(DivergenceMethod divergence, boolean gaussianProbes, int probes, long seed,
                             SolverKind solver, int steps, double atol, double rtol, int batch) {
        this(divergence, gaussianProbes, probes, seed, solver, steps, atol, rtol, batch, Dopri5PerPoint.DEFAULT_MAX_STEPS, 0);
    }

    /** dopri5 at atol = rtol = 1e-5, AUTO divergence with one Rademacher probe, seed 12345, batches of 1000. */
    public static LikelihoodRequest defaults() {
        return new LikelihoodRequest(DivergenceMethod.AUTO, false, 1, 12345, SolverKind.DOPRI5, 100, 1e-5, 1e-5, 1000, Dopri5PerPoint.DEFAULT_MAX_STEPS, 0);
    }

    public LikelihoodRequest divergence(DivergenceMethod m) { return new LikelihoodRequest(m, gaussianProbes, probes, seed, solver, steps, atol, rtol, batch, maxSteps, minStep); }

    /** Hutchinson with {@code probes} probes per point, Gaussian or Rademacher. */
    public LikelihoodRequest hutchinson(int probes, boolean gaussian) {
        return new LikelihoodRequest(DivergenceMethod.HUTCHINSON, gaussian, probes, seed, solver, steps, atol, rtol, batch, maxSteps, minStep);
    }

    public LikelihoodRequest seed(long seed) { return new LikelihoodRequest(divergence, gaussianProbes, probes, seed, solver, steps, atol, rtol, batch, maxSteps, minStep); }

    public LikelihoodRequest solver(String name, int steps) {
        return new LikelihoodRequest(divergence, gaussianProbes, probes, seed, SolverKind.parse(name), steps, atol, rtol, batch, maxSteps, minStep);
    }

    public LikelihoodRequest tolerances(double atol, double rtol) {
        return new LikelihoodRequest(divergence, gaussianProbes, probes, seed, solver, steps, atol, rtol, batch, maxSteps, minStep);
    }

    /** dopri5-point's bounds per point (see {@link SampleRequest#stepBounds}). */
    public LikelihoodRequest stepBounds(int maxSteps, double minStep) {
        return new LikelihoodRequest(divergence, gaussianProbes, probes, seed, solver, steps, atol, rtol, batch, maxSteps, minStep);
    }

    public LikelihoodRequest batch(int batch) { return new LikelihoodRequest(divergence, gaussianProbes, probes, seed, solver, steps, atol, rtol, batch, maxSteps, minStep); }

    /** The estimator for a model of {@code dim} dimensions. */
    Divergence divergenceFor(int dim) {
        boolean exact = divergence == DivergenceMethod.EXACT || (divergence == DivergenceMethod.AUTO && dim <= 64);
        if (exact) return new Divergence(Divergence.Kind.EXACT, 1, seed);
        return new Divergence(gaussianProbes ? Divergence.Kind.GAUSSIAN : Divergence.Kind.RADEMACHER, probes, seed);
    }

    /** The estimator {@link #divergence} chooses for a model of {@code dim} dimensions, for logs ("exact", "hutchinson (rademacher, 2 probes)"). */
    public String divergenceName(int dim) { return divergenceFor(dim).toString(); }

    SolverSpec solverSpec() { return new SolverSpec(solver, steps, atol, rtol, maxSteps, minStep); }
}
