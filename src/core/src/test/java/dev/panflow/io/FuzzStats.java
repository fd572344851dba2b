package dev.panflow.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the inputs a fuzz target ran and reports them when the test class ends: one line on
 * stdout and target/fuzz-stats/NAME.txt (the numbers README's Reliability section quotes).
 */
public final class FuzzStats {
    private final String name;
    private final AtomicLong inputs = new AtomicLong(), refused = new AtomicLong();
    private final long start = System.nanoTime();

    public FuzzStats(String name) { this.name = name; }

    /** One input ran; {@code accepted} when the parser returned a value rather than a UserError. */
    public void count(boolean accepted) {
        inputs.incrementAndGet();
        if (!accepted) refused.incrementAndGet();
    }

    public void report() {
        double s = (System.nanoTime() - start) / 1e9;
        String mode = System.getenv("JAZZER_FUZZ") == null || System.getenv("JAZZER_FUZZ").isEmpty() ? "regression" : "fuzzing";
        String line = String.format("fuzz %s: %d inputs (%d refused with a UserError, %d accepted) in %.1f s, %s mode",
                name, inputs.get(), refused.get(), inputs.get() - refused.get(), s, mode);
        if (inputs.get() == 0) return; // skipped (Jazzer fuzzes one target per JVM)
        System.out.println(line);
        try {
            Path dir = Path.of("target", "fuzz-stats");
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name + ".txt"), line + "\n");
        } catch (IOException ignored) {
            // the console line is enough
        }
    }
}
