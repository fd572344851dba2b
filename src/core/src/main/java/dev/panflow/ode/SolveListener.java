package dev.panflow.ode;

/**
 * Hears a solve as it goes: called between steps (never inside a step or a field evaluation),
 * one call at a time, on the thread that finished the step (for a chunked fixed-step solve, a
 * pool thread). It only reads: a solve gives the same numbers with any listener.
 */
@FunctionalInterface
public interface SolveListener {
    /**
     * {@code done} (0 to 1) of the solve's work is finished: the share of row-steps of a fixed-step
     * solve, of the time span for dopri5 (per point, averaged over the points, for dopri5-point);
     * {@code nfe} field evaluations so far (for a chunked solve: the evaluations per point that
     * {@code done} amounts to).
     */
    void onProgress(double done, long nfe);

    /** The listener that hears nothing; solvers skip the bookkeeping for it. */
    SolveListener NONE = (done, nfe) -> {};
}
