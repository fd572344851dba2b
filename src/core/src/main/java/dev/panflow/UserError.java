package dev.panflow;

/**
 * A problem with what the user gave Panflow (a flag, a file, a shape, data with NaN):
 * the CLI prints its message on one line and exits with code 2, never a stack trace.
 */
public class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
