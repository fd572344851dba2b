package dev.panflow.ode;

import dev.panflow.UserError;

/**
 * An adaptive solve that cannot finish (step size underflow, step budget spent): reported to
 * the user in one line, with what to try, rather than as a crash.
 */
public final class SolverFailure extends UserError {
    public SolverFailure(String message) {
        super(message + "; try looser atol and rtol, or a fixed-step solver", java.util.List.of("atol", "rtol"));
    }
}
