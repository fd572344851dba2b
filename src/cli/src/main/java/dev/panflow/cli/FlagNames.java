package dev.panflow.cli;

import dev.panflow.UserError;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The library names its parameters in Java ({@code maxGradNorm must be ≥ 0}); the user typed
 * flags. This turns the names a {@link UserError} lists in {@link UserError#parameters()} into the
 * commands' flags: camelCase becomes {@code --kebab-case}, except where the flag is spelt another
 * way ({@code emaDecay} is {@code --ema}).
 */
final class FlagNames {
    /** Parameters whose flag is not {@code --} + the name in kebab case. */
    static final Map<String, String> EXCEPTIONS = Map.of(
            "emaDecay", "--ema",
            "classLabel", "--class",
            "attentionHeads", "--attention",
            "libraryDir", "--cuda-lib-dir");

    /**
     * Letters, digits and these may not touch a name: "batch×batch", 'lr' (a quoted value) and
     * runs/lr/model.safetensors (a file) stay as they are.
     */
    private static final String WORD = "\\p{L}\\p{N}_'×/\\\\.-";

    private FlagNames() {}

    /** The flag of library parameter {@code name}: lrSchedule → --lr-schedule, emaDecay → --ema. */
    static String flag(String name) {
        String special = EXCEPTIONS.get(name);
        if (special != null) return special;
        StringBuilder sb = new StringBuilder("--");
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isUpperCase(c)) sb.append(i == 0 ? "" : "-").append(Character.toLowerCase(c));
            else sb.append(c);
        }
        return sb.toString();
    }

    /** {@code message} with each whole-word occurrence of one of {@code parameters} replaced by its flag. */
    static String rewrite(String message, List<String> parameters) {
        if (message == null || parameters.isEmpty()) return message;
        String names = parameters.stream().distinct().sorted(Comparator.comparingInt(String::length).reversed())
                .map(Pattern::quote).reduce((a, b) -> a + "|" + b).orElseThrow();
        Matcher m = Pattern.compile("(?<![" + WORD + "])(?:" + names + ")(?![" + WORD + "])").matcher(message);
        return m.replaceAll(r -> Matcher.quoteReplacement(flag(r.group())));
    }

    /** What the CLI prints for a UserError: its message, in flags. */
    static String message(UserError e) {
        return rewrite(e.getMessage(), e.parameters());
    }
}
