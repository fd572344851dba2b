package dev.panflow.cli;

import dev.panflow.UserError;
import java.util.List;
import java.util.Locale;

/** Names accepted by --backend: jvm (default), cuda (NVIDIA GPU), onednn (CPU convolutions). */
final class Backends {
    static final List<String> NAMES = List.of("jvm", "cuda", "onednn");

    private Backends() {}

    static String check(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (!NAMES.contains(n)) throw new UserError("unknown --backend '" + name + "'; choose one of " + String.join(", ", NAMES));
        return n;
    }

    static boolean isCuda(String name) { return check(name).equals("cuda"); }
}
