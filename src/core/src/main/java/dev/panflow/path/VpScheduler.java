package dev.panflow.path;

/**
 * Reversed DDPM (variance preserving): α_t = a(1 − t), σ_t = sqrt(1 − a(1 − t)²) with
 * a(s) = exp(−½T(s)), T(s) = ∫_0^s β = β_min s + ½(β_max − β_min) s².
 * σ_t → 0 at t = 1 and dσ/dt = −α_t α'_t/σ_t blows up there: train and sample on [0, 1 − ε].
 */
public record VpScheduler(double betaMin, double betaMax) implements Scheduler {
    public VpScheduler {
        if (!(betaMin > 0 && betaMax >= betaMin))
            throw new IllegalArgumentException("need 0 < betaMin <= betaMax, got " + betaMin + ", " + betaMax);
    }

    /** T(s) = ∫_0^s β(r) dr. */
    double bigT(double s) { return betaMin * s + 0.5 * (betaMax - betaMin) * s * s; }

    double beta(double s) { return betaMin + s * (betaMax - betaMin); }

    @Override public double alpha(double t) { return Math.exp(-0.5 * bigT(1 - t)); }

    // a'(s) = −½β(s)a(s), and d/dt a(1 − t) = −a'(1 − t).
    @Override public double dAlpha(double t) { return 0.5 * beta(1 - t) * alpha(t); }

    // 1 − a² = −expm1(−T) keeps precision when T is tiny (t near 1).
    @Override public double sigma(double t) { return Math.sqrt(-Math.expm1(-bigT(1 - t))); }

    // σ² + α² = 1 ⇒ σ' = −α α'/σ.
    @Override public double dSigma(double t) { return -alpha(t) * dAlpha(t) / sigma(t); }

    @Override public String name() { return "vp"; }
}
