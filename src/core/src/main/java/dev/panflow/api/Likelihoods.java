package dev.panflow.api;

import dev.panflow.ode.LogLikelihood;

/**
 * log p(x) in nats per point, with the network evaluations (NFE) of all solves together, the
 * number of solves (batches of at most {@code batch} points) and the seconds they took.
 */
public record Likelihoods(double[] logp, long nfe, int solves, int batch, double seconds) {
    /** Mean log-likelihood over the points. */
    public double mean() { return new LogLikelihood.Result(logp, null).mean(); }

    /** Standard error of that mean. */
    public double standardError() { return new LogLikelihood.Result(logp, null).standardError(); }

    /** NFE per solve. */
    public double nfePerSolve() { return (double) nfe / solves; }
}
