package dev.panflow.api;

/** Hears {@link ImageQuality#trainFeatures}: called on the fitting thread after each step, so it should return quickly. */
@FunctionalInterface
public interface FeatureTrainingListener {
    /** After step {@code step} of {@code totalSteps}, with that step's cross-entropy loss. */
    void onStep(long step, long totalSteps, double loss);

    /** The listener that hears nothing. */
    FeatureTrainingListener NONE = (step, total, loss) -> {};
}
