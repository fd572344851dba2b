package dev.panflow.path;

/** Closed form of the reversed-SMLD (VE) field (paper, eq. 17). */
public final class VePath {
    private VePath() {}

    /**
     * u_t(x|x1) = −s'(1 − t)/s(1 − t)·(x − x1), with s(u) = σ_min (σ_max/σ_min)^u and s' = ds/du.
     * The minus is the chain rule d/dt s(1 − t) = −s'(1 − t); s'/s = ln(σ_max/σ_min).
     */
    public static double velocity(double x, double x1, double t, double sigmaMin, double sigmaMax) {
        double u = 1 - t;
        double s = sigmaMin * Math.pow(sigmaMax / sigmaMin, u);
        double ds = s * Math.log(sigmaMax / sigmaMin);
        return -ds / s * (x - x1);
    }
}
