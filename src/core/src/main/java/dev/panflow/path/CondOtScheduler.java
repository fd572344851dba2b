package dev.panflow.path;

/** Conditional OT path: α_t = t, σ_t = 1 − (1 − σ_min)·t (straight lines, constant speed). */
public record CondOtScheduler(double sigmaMin) implements Scheduler {
    public CondOtScheduler {
        if (!(sigmaMin >= 0 && sigmaMin < 1)) throw new IllegalArgumentException("sigmaMin must be in [0, 1), got " + sigmaMin);
    }

    @Override public double alpha(double t) { return t; }
    @Override public double dAlpha(double t) { return 1; }
    @Override public double sigma(double t) { return 1 - (1 - sigmaMin) * t; }
    @Override public double dSigma(double t) { return -(1 - sigmaMin); }
    @Override public String name() { return "ot"; }
}
