package dev.panflow.api;

/**
 * Hears how a {@link Flow#sampleWithStats(SampleRequest, SampleListener)} call goes: called
 * between the solver's steps (on the calling thread, or for a chunked fixed-step solve on one of
 * the model's threads, one call at a time), so an implementation should return quickly. The
 * samples are the same with any listener.
 */
@FunctionalInterface
public interface SampleListener {
    /**
     * {@code done} of {@code total} points' worth of the solve is finished (fixed-step solvers:
     * the row-steps done ÷ steps; dopri5: the share of the time span covered × total), after
     * {@code nfe} network evaluations per point. A device backend that solves in one call reports
     * only the end.
     */
    void onProgress(long done, long total, long nfe);

    /** The listener that hears nothing. */
    SampleListener NONE = (done, total, nfe) -> {};
}
