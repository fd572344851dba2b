package dev.panflow;

import java.util.List;

/**
 * A problem with what the user gave Panflow (a parameter, a file, a shape, data with NaN): bad
 * input, hence an {@link IllegalArgumentException}. The CLI prints its message on one line and
 * exits with code 2, never a stack trace.
 *
 * <p>A message may name library parameters by their Java names ({@code lr}, {@code maxGradNorm});
 * {@link #parameters()} lists them, so a front end can rename them (the CLI shows its flags).
 * A bad value of one parameter is an {@link InvalidParameterException}.
 */
public class UserError extends IllegalArgumentException {
    private final List<String> parameters;

    public UserError(String message) {
        super(message);
        this.parameters = List.of();
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
        this.parameters = List.of();
    }

    /** A message that names the library parameters {@code parameters} (whole words, Java names). */
    public UserError(String message, List<String> parameters) {
        super(message);
        this.parameters = List.copyOf(parameters);
    }

    /** The library parameters the message names, by their Java names; empty for most (a bad file, say). */
    public List<String> parameters() {
        return parameters;
    }
}
