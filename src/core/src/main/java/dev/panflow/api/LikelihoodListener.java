package dev.panflow.api;

/**
 * Hears how a {@link Flow#logLikelihoodWithStats} call goes: called on the calling thread after
 * each ODE solve (one batch of points), so an implementation should return quickly.
 */
@FunctionalInterface
public interface LikelihoodListener {
    /** {@code done} of {@code total} points are finished; the last solve took {@code nfe} network evaluations. */
    void onSolve(int done, int total, long nfe);

    /** The listener that hears nothing. */
    LikelihoodListener NONE = (done, total, nfe) -> {};
}
