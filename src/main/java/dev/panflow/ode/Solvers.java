package dev.panflow.ode;

import dev.panflow.UserError;
import java.util.Locale;

/** Solvers by name, as the CLI offers them. */
public final class Solvers {
    public static final String CHOICES = "euler, midpoint, heun, rk4, dopri5";

    private Solvers() {}

    /** steps is used by the fixed-step methods, atol/rtol by dopri5. */
    public static OdeSolver byName(String name, int steps, double atol, double rtol) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        boolean fixed = switch (n) {
            case "euler", "midpoint", "heun", "rk4" -> true;
            case "dopri5" -> false;
            default -> throw new UserError("unknown solver '" + name + "'; choose one of " + CHOICES);
        };
        if (fixed && steps < 1) throw new UserError("steps must be at least 1, got " + steps);
        if (!fixed && !(atol >= 0 && rtol >= 0 && atol + rtol > 0))
            throw new UserError("dopri5 needs atol >= 0 and rtol >= 0, not both 0; got atol=" + atol + ", rtol=" + rtol);
        return switch (n) {
            case "euler" -> new Euler(steps);
            case "midpoint" -> new Midpoint(steps);
            case "heun" -> new Heun(steps);
            case "rk4" -> new Rk4(steps);
            default -> new Dopri5(atol, rtol);
        };
    }
}
