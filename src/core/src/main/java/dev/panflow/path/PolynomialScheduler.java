package dev.panflow.path;

/** Polynomial path: α_t = tⁿ, σ_t = 1 − tⁿ (n = 1 is CondOT with σ_min = 0). */
public record PolynomialScheduler(double n) implements Scheduler {
    public PolynomialScheduler {
        // n ≥ 1 keeps α' = n t^(n−1) finite at t = 0.
        if (!(n >= 1)) throw new IllegalArgumentException("polynomial exponent must be >= 1, got " + n);
    }

    @Override public double alpha(double t) { return Math.pow(t, n); }
    @Override public double dAlpha(double t) { return n * Math.pow(t, n - 1); }
    @Override public double sigma(double t) { return 1 - Math.pow(t, n); }
    @Override public double dSigma(double t) { return -n * Math.pow(t, n - 1); }
    @Override public String name() { return "poly"; }
}
