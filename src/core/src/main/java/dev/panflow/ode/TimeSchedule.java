package dev.panflow.ode;

import dev.panflow.InvalidParameterException;
import java.util.Locale;

/**
 * Where a solve spends its steps in time: a monotone map φ of [0, 1] onto itself, φ(0) = 0,
 * φ(1) = 1; a solve over [t0, t1] visits t = t0 + (t1 − t0)·φ(s) at s uniform. Fixed-step
 * solvers take their steps between the grid points φ(i/n); adaptive ones integrate
 * dx/ds = (t1 − t0)·φ'(s)·v(x, t(s)) in s (their error control then sees the warped time).
 *
 * <ul>
 * <li>{@code uniform}: φ(s) = s.
 * <li>{@code shift:S}: the shifted schedule of Stable Diffusion 3 (Esser et al. 2024) on the
 *     noise level σ = 1 − t: σ′ = S·σ / (1 + (S − 1)·σ), so S > 1 spends more steps near the
 *     noise (t = 0).
 * <li>{@code logit}: φ(s) = (σ(a(2s − 1)) − σ(−a)) / (σ(a) − σ(−a)) with the logistic σ and
 *     a = 3: denser steps near both ends, as a logit-normal time density.
 * </ul>
 */
public record TimeSchedule(Kind kind, double shift) {
    public enum Kind { UNIFORM, SHIFT, LOGIT }

    public static final TimeSchedule UNIFORM = new TimeSchedule(Kind.UNIFORM, 1);
    public static final String CHOICES = "uniform, shift:S (S > 0) or logit";
    static final double LOGIT_SCALE = 3;

    public TimeSchedule {
        if (kind == null) throw new InvalidParameterException("timeSchedule is null", "timeSchedule");
        if (!(shift > 0 && shift <= 1000)) throw new InvalidParameterException("timeSchedule shift must be in (0, 1000], got " + shift, "timeSchedule");
    }

    /** "uniform", "shift:3", "logit". */
    public static TimeSchedule parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("uniform")) return UNIFORM;
        if (s.equals("logit")) return new TimeSchedule(Kind.LOGIT, 1);
        if (s.startsWith("shift:")) {
            try {
                return new TimeSchedule(Kind.SHIFT, Double.parseDouble(s.substring(6)));
            } catch (NumberFormatException e) {
                throw new InvalidParameterException("timeSchedule shift:S needs a number S, got '" + text + "'", "timeSchedule");
            }
        }
        throw InvalidParameterException.unknown("timeSchedule", text, CHOICES);
    }

    public boolean isUniform() { return kind == Kind.UNIFORM || (kind == Kind.SHIFT && shift == 1); }

    /** φ(s) for s in [0, 1]. */
    public double at(double s) {
        return switch (kind) {
            case UNIFORM -> s;
            case SHIFT -> {
                double sigma = 1 - s;
                yield 1 - shift * sigma / (1 + (shift - 1) * sigma);
            }
            case LOGIT -> {
                double lo = logistic(-LOGIT_SCALE), hi = logistic(LOGIT_SCALE);
                yield s <= 0 ? 0 : s >= 1 ? 1 : (logistic(LOGIT_SCALE * (2 * s - 1)) - lo) / (hi - lo);
            }
        };
    }

    /** φ'(s). */
    public double derivative(double s) {
        return switch (kind) {
            case UNIFORM -> 1;
            case SHIFT -> {
                double d = 1 + (shift - 1) * (1 - s);
                yield shift / (d * d);
            }
            case LOGIT -> {
                double l = logistic(LOGIT_SCALE * (2 * s - 1));
                yield 2 * LOGIT_SCALE * l * (1 - l) / (logistic(LOGIT_SCALE) - logistic(-LOGIT_SCALE));
            }
        };
    }

    private static double logistic(double z) { return 1 / (1 + Math.exp(-z)); }

    /** The text {@link #parse} reads. */
    @Override
    public String toString() {
        return switch (kind) {
            case UNIFORM -> "uniform";
            case SHIFT -> "shift:" + (shift == Math.rint(shift) ? Long.toString((long) shift) : Double.toString(shift));
            case LOGIT -> "logit";
        };
    }
}
