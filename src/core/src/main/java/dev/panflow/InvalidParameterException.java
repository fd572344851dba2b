package dev.panflow;

import java.util.ArrayList;
import java.util.List;

/**
 * A parameter with a value Panflow cannot use, named by its Java name: {@code batch must be in
 * [1, 4194304], got 0}. {@link #parameter()} is that name; {@link #parameters()} starts with it
 * and lists the others the message names ({@code coupling ot ... use batch ≤ 8192}).
 */
public class InvalidParameterException extends UserError {
    public InvalidParameterException(String message, String parameter, String... alsoNamed) {
        super(message, names(parameter, alsoNamed));
    }

    /** The parameter whose value is refused. */
    public String parameter() {
        return parameters().get(0);
    }

    /** {@code name must be in [min, max], got value}. */
    public static InvalidParameterException range(String name, long min, long max, long value) {
        return new InvalidParameterException(name + " must be in [" + min + ", " + max + "], got " + value, name);
    }

    /** {@code name must be ≥ min, got value}. */
    public static InvalidParameterException atLeast(String name, long min, long value) {
        return new InvalidParameterException(name + " must be ≥ " + min + ", got " + value, name);
    }

    /** {@code unknown name 'value'; choose choices}. */
    public static InvalidParameterException unknown(String name, String value, String choices) {
        return new InvalidParameterException("unknown " + name + " '" + value + "'; choose " + choices, name);
    }

    private static List<String> names(String parameter, String... alsoNamed) {
        if (parameter == null || parameter.isEmpty()) throw new IllegalArgumentException("no parameter named");
        List<String> all = new ArrayList<>(List.of(parameter));
        all.addAll(List.of(alsoNamed));
        return all;
    }
}
