package dev.panflow.api;

import java.nio.file.Path;

/**
 * How a run ended: the step reached, the last loss and its smoothed value, the checkpoint (or
 * null without an output folder), whether it stopped early on {@link Trainer#requestStop()},
 * the steps per second after the first fifth of the run (JIT warm-up left out), and in a
 * data-parallel job the milliseconds per step spent in the all-reduces and the gradient bytes
 * each step all-reduces, and whether a time budget ended the run (a normal end: not {@code stopped}).
 */
public record TrainResult(long step, double finalLoss, double smoothedLoss, Path checkpoint, boolean stopped,
                          double stepsPerSecond, double allreduceMillisPerStep, long gradientBytes, boolean budgetReached) {
    /** A result without a time budget. */
    public TrainResult(long step, double finalLoss, double smoothedLoss, Path checkpoint, boolean stopped,
                       double stepsPerSecond, double allreduceMillisPerStep, long gradientBytes) {
        this(step, finalLoss, smoothedLoss, checkpoint, stopped, stepsPerSecond, allreduceMillisPerStep, gradientBytes, false);
    }
}
