package dev.panflow.api;

import dev.panflow.ode.LogLikelihood;

/**
 * log p(x) in nats per point, with the network evaluations (NFE) of all solves together, the
 * number of solves (batches of at most {@code batch} points) and the seconds they took.
 */
public record Likelihoods(double[] logp, long nfe, int solves, int batch, double seconds, long pointEvaluations,
                          long nfeMaxPerPoint, int unfinishedPoints) {
    /**
     * Every point of a solve evaluated at every call of that solve. With dopri5-point the last
     * three count each point's own evaluations: their sum, the most one point took, and the
     * points that stopped before t = 0 (its step bound).
     */
    public Likelihoods(double[] logp, long nfe, int solves, int batch, double seconds) {
        this(logp, nfe, solves, batch, seconds, -1, -1, 0);
    }

    /** Mean network evaluations per point, or NaN when not counted per point. */
    public double nfeMeanPerPoint() { return pointEvaluations < 0 ? Double.NaN : (double) pointEvaluations / logp.length; }

    /** Mean log-likelihood over the points. */
    public double mean() { return new LogLikelihood.Result(logp, null).mean(); }

    /** Standard error of that mean. */
    public double standardError() { return new LogLikelihood.Result(logp, null).standardError(); }

    /** NFE per solve. */
    public double nfePerSolve() { return (double) nfe / solves; }
}
