package dev.panflow.api;

import dev.panflow.eval.FeatureTraining;

/**
 * How {@link ImageQuality#trainFeatures} fits a feature network: epochs over the training images,
 * images per step, peak AdamW learning rate (linear warm-up over {@code warmupSteps}, then cosine
 * decay to zero), seed and kernel threads. Out-of-range values throw
 * {@link dev.panflow.InvalidParameterException} naming the parameter.
 */
public record FeatureTrainingOptions(int epochs, int batch, double lr, int warmupSteps, long seed, int threads) {
    public static final int DEFAULT_EPOCHS = FeatureTraining.DEFAULT_EPOCHS, DEFAULT_BATCH = FeatureTraining.DEFAULT_BATCH,
            DEFAULT_WARMUP = FeatureTraining.DEFAULT_WARMUP;
    public static final double DEFAULT_LR = FeatureTraining.DEFAULT_LR;

    public FeatureTrainingOptions {
        new FeatureTraining(epochs, batch, lr, warmupSteps, seed, threads); // the checks live there, once
    }

    /** The defaults with this seed and thread count. */
    public static FeatureTrainingOptions defaults(long seed, int threads) {
        return new FeatureTrainingOptions(DEFAULT_EPOCHS, DEFAULT_BATCH, DEFAULT_LR, DEFAULT_WARMUP, seed, threads);
    }

    FeatureTraining internal() { return new FeatureTraining(epochs, batch, lr, warmupSteps, seed, threads); }
}
