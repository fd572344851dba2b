package dev.panflow.path;

/**
 * Reversed SMLD (variance exploding): α_t = 1, σ_t = s(1 − t) with s(u) = σ_min (σ_max/σ_min)^u.
 * dσ/dt = −s'(1 − t) = −ln(σ_max/σ_min)·σ_t, so σ'_t/σ_t is constant: no singularity at t = 1,
 * where σ_1 = σ_min.
 */
public record VeScheduler(double sigmaMin, double sigmaMax) implements Scheduler {
    public VeScheduler {
        if (!(sigmaMin > 0 && sigmaMax > sigmaMin))
            throw new IllegalArgumentException("need 0 < sigmaMin < sigmaMax, got " + sigmaMin + ", " + sigmaMax);
    }

    private double logRatio() { return Math.log(sigmaMax / sigmaMin); }

    @Override public double alpha(double t) { return 1; }
    @Override public double dAlpha(double t) { return 0; }
    @Override public double sigma(double t) { return sigmaMin * Math.exp(logRatio() * (1 - t)); }
    @Override public double dSigma(double t) { return -logRatio() * sigma(t); }
    @Override public String name() { return "ve"; }
}
