package dev.panflow.api;

import java.nio.file.Path;

/**
 * Hears how a {@link Trainer} run goes. Called on the training thread between steps (of rank 0
 * only, in a data-parallel job), so an implementation should return quickly; the values are
 * primitives, so a run's steady state still allocates nothing unless the listener does.
 */
public interface ProgressListener {
    /** After step {@code step} of {@code totalSteps}: its loss and an exponential moving average (0.98) of the losses. */
    default void onStep(long step, long totalSteps, double loss, double smoothedLoss) {}

    /** After the checkpoint at {@code step} was written to {@code file} (atomically). */
    default void onCheckpoint(long step, Path file) {}

    /** The listener that hears nothing. */
    ProgressListener NONE = new ProgressListener() {};
}
