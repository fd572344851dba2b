package dev.panflow.path;

/** Closed form of the CondOT field (paper, eq. 21), to check the generic formula against. */
public final class CondOtPath {
    private CondOtPath() {}

    /** u_t(x|x1) = (x1 − (1 − σ_min) x) / (1 − (1 − σ_min) t). */
    public static double velocity(double x, double x1, double t, double sigmaMin) {
        return (x1 - (1 - sigmaMin) * x) / (1 - (1 - sigmaMin) * t);
    }
}
