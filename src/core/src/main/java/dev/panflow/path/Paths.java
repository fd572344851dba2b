package dev.panflow.path;

import dev.panflow.UserError;
import java.util.Locale;

/**
 * Named paths with their defaults. tMax per path:
 * ot 1 (σ_1 = σ_min > 0), cosine and poly 1 (the training target σ'x0 + α'x1 stays finite;
 * only the conditional field divides by σ_1 = 0), ve 1 (σ'/σ = −ln(σ_max/σ_min) is constant,
 * σ_1 = σ_min), vp 1 − 1e-3 (σ'_t ~ −1/sqrt(1 − t) at 1; at 0.999 σ ≈ 0.0105, close to ve's σ_min).
 */
public final class Paths {
    public static final double OT_SIGMA_MIN = 1e-4;
    public static final double VP_BETA_MIN = 0.1, VP_BETA_MAX = 20, VP_EPS = 1e-3;
    public static final double VE_SIGMA_MIN = 0.01, VE_SIGMA_MAX = 50;
    public static final double POLY_N = 2;

    private Paths() {}

    public static AffinePath byName(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "ot" -> ot(OT_SIGMA_MIN);
            case "vp" -> vp(VP_BETA_MIN, VP_BETA_MAX);
            case "ve" -> ve(VE_SIGMA_MIN, VE_SIGMA_MAX);
            case "cosine" -> cosine();
            case "poly" -> poly(POLY_N);
            default -> throw new UserError("unknown path '" + name + "'; choose one of ot, vp, ve, cosine, poly");
        };
    }

    public static AffinePath ot(double sigmaMin) { return new AffinePath(new CondOtScheduler(sigmaMin), 1); }

    public static AffinePath vp(double betaMin, double betaMax) {
        return new AffinePath(new VpScheduler(betaMin, betaMax), 1 - VP_EPS);
    }

    public static AffinePath ve(double sigmaMin, double sigmaMax) { return new AffinePath(new VeScheduler(sigmaMin, sigmaMax), 1); }

    public static AffinePath cosine() { return new AffinePath(new CosineScheduler(), 1); }

    public static AffinePath poly(double n) { return new AffinePath(new PolynomialScheduler(n), 1); }
}
