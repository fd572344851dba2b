package dev.panflow.cli;

import java.io.PrintStream;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar on stderr, paced by time rather than by progress: on a terminal it is
 * redrawn in place at most every {@link #REDRAW_NANOS} (½ s); when the output is a file or a pipe
 * it logs a plain line at the first update after 1 s and then every {@code logEvery} seconds
 * (default 30), so a long run shows signs of life however many units it has. Quiet: nothing.
 */
final class ProgressBar {
    static final long REDRAW_NANOS = 500_000_000L;
    static final long FIRST_LINE_NANOS = 1_000_000_000L;

    private final String label;
    private long total;
    private final PrintStream out;
    private final boolean terminal, quiet;
    private final long logEveryNanos;
    private final LongSupplier clock;
    private final long startNanos;
    private long lastDraw;
    private boolean drawn;
    private long lastDone = -1;
    private int rowsPerUnit;
    private String rowUnit;
    private String unit = "it";

    ProgressBar(String label, long total) {
        this(label, total, ProgressOptions.DEFAULT);
    }

    ProgressBar(String label, long total, ProgressOptions options) {
        this(label, total, System.err, isTerminal(), options.quiet, options.logEveryNanos(), System::nanoTime);
    }

    /** For tests: the stream, whether it is a terminal, the log interval and the clock are given. */
    ProgressBar(String label, long total, PrintStream out, boolean terminal, boolean quiet, long logEveryNanos, LongSupplier clock) {
        this.label = label;
        this.total = Math.max(1, total);
        this.out = out;
        this.terminal = terminal;
        this.quiet = quiet;
        this.logEveryNanos = logEveryNanos;
        this.clock = clock;
        this.startNanos = clock.getAsLong();
    }

    private static boolean isTerminal() {
        var console = System.console();
        return console != null && console.isTerminal();
    }

    /** Each unit is {@code rows} rows (a batch), shown as {@code unit}/s (points/s, images/s) after the rate. */
    ProgressBar rows(int rows, String unit) {
        this.rowsPerUnit = rows;
        this.rowUnit = unit;
        return this;
    }

    /** What the units are called in the rate ("points": "12.3k points/s"); "it" unless set. */
    ProgressBar unit(String unit) {
        this.unit = unit;
        return this;
    }

    /** A new total (e.g. a time budget's estimate of the steps); 0: not known yet (no bar, no percentage). */
    void total(long total) { this.total = Math.max(0, total); }

    private long deadline; // 0: none
    private boolean finished;

    /** The work ends by {@code seconds} after the bar was made (a time budget): the ETA is at most what is left of it. */
    void deadlineAfter(double seconds) { this.deadline = startNanos + (long) (seconds * 1e9); }

    long total() { return total; }

    /** Seconds since the bar was made. */
    double elapsedSeconds() { return (clock.getAsLong() - startNanos) * 1e-9; }

    /** Whether an {@link #update} now would draw: callers can skip formatting its text otherwise. */
    boolean due() {
        if (quiet) return false;
        long now = clock.getAsLong();
        if (terminal) return !drawn || now - lastDraw >= REDRAW_NANOS;
        return drawn ? now - lastDraw >= logEveryNanos : now - startNanos >= FIRST_LINE_NANOS;
    }

    /** {@code done} of {@code total} units finished; {@code extra} is e.g. "loss 0.812". Draws only when {@link #due()}. */
    void update(long done, String extra) {
        if (!due()) return;
        draw(done, extra);
    }

    private void draw(long done, String extra) {
        long now = clock.getAsLong();
        lastDraw = now;
        drawn = true;
        lastDone = done;
        if (terminal) {
            out.print("\r" + line(done, extra, now) + "\u001b[K");
            out.flush();
        } else {
            out.println(line(done, extra, now));
        }
    }

    /** A line of its own (shown even when quiet); on a terminal the bar is redrawn below it at the next update. */
    void note(String line) {
        if (terminal && drawn) out.print("\r\u001b[K");
        out.println(line);
        out.flush();
        if (terminal) drawn = false; // redraw the bar at the next update
    }

    /** The last line (unless quiet, or a plain log whose last line already showed {@code done}). */
    void finish(long done, String extra) {
        if (quiet) return;
        long now = clock.getAsLong();
        finished = true; // the last line's ETA is 0, whatever a deadline has left
        if (terminal) out.println("\r" + line(done, extra, now) + "\u001b[K");
        else if (done != lastDone) out.println(line(done, extra, now));
        out.flush();
    }

    /** Units per second since the start. */
    double rate() {
        return rate(lastDoneOrZero(), clock.getAsLong());
    }

    private long lastDoneOrZero() { return Math.max(0, lastDone); }

    private double rate(long done, long now) {
        return done / Math.max((now - startNanos) * 1e-9, 1e-9);
    }

    String line(long done, String extra, long now) {
        double rate = rate(done, now);
        double left = deadline == 0 ? Double.POSITIVE_INFINITY : Math.max(0, deadline - now) * 1e-9;
        // past its total (a time budget's estimate that the run outpaced) the work ends at the deadline
        double eta = finished ? 0 : total == 0 || (done >= total && deadline != 0) ? left : Math.min(left, rate > 0 ? Math.max(0, total - done) / rate : 0);
        String rows = rowsPerUnit > 0 ? " | " + si(rate * rowsPerUnit) + " " + rowUnit + "/s" : "";
        String more = (extra == null || extra.isEmpty() ? "" : " | " + extra) + " | " + (rate >= 1000 && !unit.equals("it") ? si(rate) : rate(rate)) + " " + unit + "/s" + rows + " | eta "
                + (Double.isInfinite(eta) ? "?" : clock(eta));
        if (total == 0) return String.format("%s %d%s", label, done, more);
        int width = 24;
        long shown = Math.min(done, total);
        int filled = (int) (width * shown / total);
        String bar = "#".repeat(filled) + "-".repeat(width - filled);
        return String.format("%s [%s] %d/%d %3d%%%s", label, bar, done, total, 100 * shown / total, more);
    }

    /** 3 significant figures: 0.123, 12.3, 1234. */
    static String rate(double r) {
        return r >= 100 ? String.format("%.0f", r) : r >= 10 ? String.format("%.1f", r) : String.format("%.2f", r);
    }

    /** 12.3k, 4.56M: a count per second in a few characters. */
    static String si(double v) {
        if (v >= 1e9) return String.format("%.2fG", v / 1e9);
        if (v >= 1e6) return String.format("%.2fM", v / 1e6);
        if (v >= 1e3) return String.format("%.1fk", v / 1e3);
        return String.format("%.0f", v);
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%d:%02d", s / 60, s % 60);
    }
}
