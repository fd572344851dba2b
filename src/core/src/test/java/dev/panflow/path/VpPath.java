package dev.panflow.path;

/** Closed form of the reversed-DDPM (VP) field (paper, eq. 19). */
public final class VpPath {
    private VpPath() {}

    /**
     * u_t(x|x1) = a'(1 − t)/(1 − a(1 − t)²)·(a(1 − t) x − x1), a(s) = exp(−½T(s)), a' = da/ds.
     * Matches Theorem 3: with α_t = a(1 − t), α'_t = −a'(1 − t) and σ'_t = −α_t α'_t/σ_t,
     * σ'_t/σ_t (x − α_t x1) + α'_t x1 = α'_t (x1 − α_t x)/(1 − α_t²), the same expression.
     */
    public static double velocity(double x, double x1, double t, double betaMin, double betaMax) {
        double s = 1 - t;
        double bigT = betaMin * s + 0.5 * (betaMax - betaMin) * s * s;
        double a = Math.exp(-0.5 * bigT);
        double da = -0.5 * (betaMin + s * (betaMax - betaMin)) * a;
        return da / (1 - a * a) * (a * x - x1);
    }
}
