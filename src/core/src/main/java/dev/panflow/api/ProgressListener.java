package dev.panflow.api;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Hears how a {@link Trainer} run goes. Called on the training thread between steps (of rank 0
 * only, in a data-parallel job), so an implementation should return quickly; the values are
 * primitives, so a run's steady state still allocates nothing unless the listener does.
 */
public interface ProgressListener {
    /** After step {@code step} of {@code totalSteps}: its loss and an exponential moving average (0.98) of the losses. */
    default void onStep(long step, long totalSteps, double loss, double smoothedLoss) {}

    /**
     * The same, with the learning rate the step used and the global gradient norm before clipping
     * (NaN where the engine does not report it, e.g. on a device). The trainer calls this one; by
     * default it passes the first four values on to {@link #onStep(long, long, double, double)}.
     * With a time budget, {@code totalSteps} is the estimated step count once it is known.
     */
    default void onStep(long step, long totalSteps, double loss, double smoothedLoss, double lr, double gradNorm) {
        onStep(step, totalSteps, loss, smoothedLoss);
    }

    /** After the checkpoint at {@code step} was written to {@code file} (atomically). */
    default void onCheckpoint(long step, Path file) {}

    /**
     * With a time budget: after the warm-up (at 5 % of the budget), and again at 25, 50, 75 and
     * 90 %, the learning-rate schedule's horizon was set to {@code estimatedSteps} from the
     * measured {@code stepsPerSecond} (or, on a resume, taken from the checkpoint, with
     * {@code stepsPerSecond} NaN).
     */
    default void onSchedule(Duration budget, long estimatedSteps, double stepsPerSecond) {}

    /** The listener that hears nothing. */
    ProgressListener NONE = new ProgressListener() {};
}
