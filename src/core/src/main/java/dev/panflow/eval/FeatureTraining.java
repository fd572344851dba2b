package dev.panflow.eval;

import dev.panflow.InvalidParameterException;

/**
 * How a feature network is fitted: epochs over the training images, batch size, peak learning
 * rate of AdamW (linear warm-up over the first {@code warmupSteps}, then cosine decay to zero),
 * seed and kernel threads.
 */
public record FeatureTraining(int epochs, int batch, double lr, int warmupSteps, long seed, int threads) {
    public FeatureTraining {
        if (epochs < 1 || epochs > 1000) throw InvalidParameterException.range("epochs", 1, 1000, epochs);
        if (batch < 1 || batch > 4096) throw InvalidParameterException.range("batch", 1, 4096, batch);
        if (!(lr > 0 && lr < 1)) throw new InvalidParameterException("lr must be in (0, 1), got " + lr, "lr");
        if (warmupSteps < 0) throw InvalidParameterException.atLeast("warmupSteps", 0, warmupSteps);
        if (threads < 1) throw InvalidParameterException.atLeast("threads", 1, threads);
    }

    public static final int DEFAULT_EPOCHS = 2, DEFAULT_BATCH = 128, DEFAULT_WARMUP = 100;
    public static final double DEFAULT_LR = 2e-3;

    /** The learning rate of step {@code s} (1-based) of {@code total}. */
    public double lrAt(long s, long total) {
        if (s <= warmupSteps) return lr * s / Math.max(1, warmupSteps);
        double p = (double) (s - warmupSteps) / Math.max(1, total - warmupSteps);
        return lr * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, p)));
    }
}
