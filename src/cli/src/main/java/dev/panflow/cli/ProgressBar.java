package dev.panflow.cli;

import java.io.PrintStream;

/**
 * A one-line progress bar on stderr: redrawn in place on a terminal (at most 10 times a
 * second), or a plain line every 10 % when the output is a file or a pipe.
 */
final class ProgressBar {
    private final String label;
    private final long total;
    private final PrintStream out;
    private final boolean terminal;
    private final long startNanos = System.nanoTime();
    private long lastDraw;
    private int lastDecile = -1;

    ProgressBar(String label, long total) {
        this.label = label;
        this.total = Math.max(1, total);
        this.out = System.err;
        var console = System.console();
        this.terminal = console != null && console.isTerminal();
    }

    /** {@code done} of {@code total} units finished; {@code extra} is e.g. "loss 0.812". */
    void update(long done, String extra) {
        long now = System.nanoTime();
        if (terminal) {
            if (now - lastDraw < 100_000_000L && done < total) return;
            lastDraw = now;
            out.print("\r" + line(done, extra, now) + "\u001b[K");
            out.flush();
        } else {
            int decile = (int) (10 * done / total);
            if (decile == lastDecile) return;
            lastDecile = decile;
            out.println(line(done, extra, now));
        }
    }

    void finish(long done, String extra) {
        long now = System.nanoTime();
        if (terminal) out.println("\r" + line(done, extra, now) + "\u001b[K");
        else if ((int) (10 * done / total) != lastDecile) out.println(line(done, extra, now));
        out.flush();
    }

    private String line(long done, String extra, long now) {
        double elapsed = (now - startNanos) * 1e-9;
        double rate = done / Math.max(elapsed, 1e-9);
        int width = 24;
        int filled = (int) (width * done / total);
        String bar = "#".repeat(filled) + "-".repeat(width - filled);
        double eta = rate > 0 ? (total - done) / rate : 0;
        return String.format("%s [%s] %d/%d %3d%% | %.1f it/s | %s | eta %s", label, bar, done, total,
                100 * done / total, rate, extra, clock(eta));
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%d:%02d", s / 60, s % 60);
    }
}
