package dev.panflow.ode;

import dev.panflow.InvalidParameterException;
import java.util.Locale;

/**
 * How div v_t(x) is computed in a likelihood solve: exactly, Σ_i e_iᵀ(∂v/∂x)e_i (one VJP per
 * dimension), or by Hutchinson's estimator εᵀ(∂v/∂x)ε averaged over {@code probes} probes
 * ε (Rademacher ±1 or standard Gaussian, both E[εεᵀ] = I), drawn once per sample from
 * {@code seed} and held fixed over the whole solve (so the ODE stays smooth).
 */
public record Divergence(Kind kind, int probes, long seed) {
    public enum Kind { EXACT, RADEMACHER, GAUSSIAN }

    public Divergence {
        if (kind == null) throw new IllegalArgumentException("kind is null");
        if (probes < 1 || probes > 1024) throw InvalidParameterException.range("probes", 1, 1024, probes);
    }

    public static Divergence exact() { return new Divergence(Kind.EXACT, 1, 0); }

    /** From CLI words: method exact|hutchinson, probe rademacher|gaussian. */
    public static Divergence parse(String method, String probe, int probes, long seed) {
        String m = method == null ? "" : method.trim().toLowerCase(Locale.ROOT);
        String p = probe == null ? "" : probe.trim().toLowerCase(Locale.ROOT);
        return switch (m) {
            case "exact" -> new Divergence(Kind.EXACT, 1, seed);
            case "hutchinson" -> switch (p) {
                case "rademacher" -> new Divergence(Kind.RADEMACHER, probes, seed);
                case "gaussian" -> new Divergence(Kind.GAUSSIAN, probes, seed);
                default -> throw InvalidParameterException.unknown("probe", probe, "rademacher or gaussian");
            };
            default -> throw InvalidParameterException.unknown("divergence", method, "exact or hutchinson");
        };
    }

    public boolean exactTrace() { return kind == Kind.EXACT; }

    @Override
    public String toString() {
        return kind == Kind.EXACT ? "exact" : "hutchinson (" + kind.name().toLowerCase(Locale.ROOT) + ", " + probes + " probe" + (probes == 1 ? "" : "s") + ")";
    }
}
