package dev.panflow.cli;

import dev.panflow.UserError;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as a user types them: 90s, 15m, 1h, or combined 1h30m (whole numbers, s/m/h). */
final class Durations {
    private static final Pattern FORM = Pattern.compile("(?:(\\d{1,6})h)?(?:(\\d{1,6})m)?(?:(\\d{1,8})s)?");

    private Durations() {}

    /** The duration {@code text} names; a {@link UserError} naming {@code flag} when it is not one. */
    static Duration parse(String text, String flag) {
        String t = text == null ? "" : text.trim();
        Matcher m = FORM.matcher(t);
        if (t.isEmpty() || !m.matches())
            throw new UserError(flag + " must be a duration such as 90s, 15m, 1h or 1h30m, got '" + text + "'");
        long s = 0;
        if (m.group(1) != null) s += 3600L * Long.parseLong(m.group(1));
        if (m.group(2) != null) s += 60L * Long.parseLong(m.group(2));
        if (m.group(3) != null) s += Long.parseLong(m.group(3));
        if (s <= 0) throw new UserError(flag + " must be positive, got '" + text + "'");
        return Duration.ofSeconds(s);
    }

    /** 90s → "1m30s", 900 s → "15m", 3600 s → "1h". */
    static String format(Duration d) {
        long s = d.toSeconds();
        StringBuilder sb = new StringBuilder();
        if (s >= 3600) sb.append(s / 3600).append('h');
        if (s % 3600 >= 60) sb.append(s % 3600 / 60).append('m');
        if (s % 60 != 0 || sb.isEmpty()) sb.append(s % 60).append('s');
        return sb.toString();
    }
}
