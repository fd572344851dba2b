package dev.panflow.train;

import dev.panflow.sampling.FlowSampler;

/**
 * Runs the training steps of a {@link CfmTrainer}: the trainer itself on the JVM, or a device
 * backend that keeps the weights and optimizer state on its device and copies them back on
 * {@link #syncToHost()}. The training loop only talks to this interface.
 */
public interface StepEngine extends AutoCloseable {
    /** One optimizer step; returns the batch loss (a device may return the last loss it read back). */
    double trainStep();

    /** The loss of the last step, read back from the device if need be. */
    double lastLoss();

    /** The global gradient norm (before clipping) of the last step, or NaN where the engine does not compute it. */
    default double lastGradNorm() { return Double.NaN; }

    /** Copies weights, EMA and optimizer moments into the host trainer (before a checkpoint); a no-op on the JVM. */
    void syncToHost();

    /** Samples the host trainer's current weights where this engine runs (after {@link #syncToHost()}). */
    FlowSampler sampler();

    /** Where the steps run, for logs ("jvm", "cuda on NVIDIA H200"). */
    String where();

    @Override
    void close();
}
