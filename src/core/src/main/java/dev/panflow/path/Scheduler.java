package dev.panflow.path;

/**
 * An affine Gaussian path: x_t = α_t·x1 + σ_t·x0 with x0 noise (t = 0) and x1 data (t = 1).
 * Derivatives are analytic (d/dt).
 */
public interface Scheduler {
    double alpha(double t);

    double dAlpha(double t);

    double sigma(double t);

    double dSigma(double t);

    /** Short name as accepted by {@link Paths#byName}. */
    String name();
}
