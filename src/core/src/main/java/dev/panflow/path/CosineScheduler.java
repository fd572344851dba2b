package dev.panflow.path;

/** Cosine path: α_t = sin(πt/2), σ_t = cos(πt/2) (variance preserving, α² + σ² = 1). */
public record CosineScheduler() implements Scheduler {
    private static final double HALF_PI = Math.PI / 2;

    @Override public double alpha(double t) { return Math.sin(HALF_PI * t); }
    @Override public double dAlpha(double t) { return HALF_PI * Math.cos(HALF_PI * t); }
    @Override public double sigma(double t) { return Math.cos(HALF_PI * t); }
    @Override public double dSigma(double t) { return -HALF_PI * Math.sin(HALF_PI * t); }
    @Override public String name() { return "cosine"; }
}
