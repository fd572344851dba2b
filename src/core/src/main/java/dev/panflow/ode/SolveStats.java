package dev.panflow.ode;

/**
 * What one solve cost: field evaluations (NFE) and steps taken/rejected, and per point the mean
 * and the most evaluations one point took, with the points that stopped before the end.
 *
 * <p>A solver that steps all rows together evaluates every point at every call, so its NFE per
 * point is {@code nfe} for all (mean = max = nfe). {@link Dopri5PerPoint} evaluates only the rows
 * still running: {@code nfe} is then its batched field calls (= the most any point took),
 * {@code acceptedSteps}/{@code rejectedSteps} are summed over the points, and the network's total
 * work is rows × {@code nfeMeanPerPoint} row evaluations ({@link #pointEvaluations}).
 *
 * @param unfinishedPoints points that did not reach the end time (a per-point solver's step
 *        bound or step-size underflow); their rows hold the last state reached
 */
public record SolveStats(int nfe, int acceptedSteps, int rejectedSteps, double nfeMeanPerPoint, int nfeMaxPerPoint,
                         int unfinishedPoints) {
    /** A solve that evaluated every point at every call. */
    public SolveStats(int nfe, int acceptedSteps, int rejectedSteps) {
        this(nfe, acceptedSteps, rejectedSteps, nfe, nfe, 0);
    }

    /** Row evaluations of the network over {@code rows} points: rows × mean NFE per point. */
    public long pointEvaluations(int rows) { return Math.round(rows * nfeMeanPerPoint); }
}
