package dev.panflow.cli;

import dev.panflow.api.ProgressListener;
import dev.panflow.api.TrainResult;
import java.util.Locale;

/**
 * How every command shows a {@link dev.panflow.api.Trainer} run: a progress bar with the
 * smoothed loss, the learning rate, steps/s and rows (points or images) per second.
 */
final class TrainProgress implements ProgressListener {
    private final ProgressBar bar;
    private final long start;
    private double lr = Double.NaN;
    private boolean waitingForEstimate; // a time budget's total is not known before its estimate

    /** {@code start}: the step the run begins at (a resumed run's bar counts the steps of this run). */
    TrainProgress(String label, long totalSteps, long start) {
        this(label, totalSteps, start, 0, "points", ProgressOptions.DEFAULT);
    }

    /** {@code batch} rows per step, counted as {@code unit} ("points", "images") per second. */
    TrainProgress(String label, long totalSteps, long start, int batch, String unit, ProgressOptions options) {
        this(label, totalSteps, start, batch, unit, options, null);
    }

    /** With a time budget (or null): until its estimate the bar has no total, and the ETA is what is left of the budget. */
    TrainProgress(String label, long totalSteps, long start, int batch, String unit, ProgressOptions options, java.time.Duration budget) {
        this(new ProgressBar(label, totalSteps - start, options).rows(batch, unit), start);
        if (budget != null) {
            bar.deadlineAfter(budget.toNanos() * 1e-9);
            bar.total(0);
            waitingForEstimate = true;
        }
    }

    TrainProgress(ProgressBar bar, long start) {
        this.bar = bar;
        this.start = start;
    }

    @Override
    public void onStep(long step, long totalSteps, double loss, double smoothedLoss) {
        onStep(step, totalSteps, loss, smoothedLoss, Double.NaN, Double.NaN);
    }

    @Override
    public void onStep(long step, long totalSteps, double loss, double smoothedLoss, double lr, double gradNorm) {
        this.lr = lr;
        if (!waitingForEstimate && totalSteps - start != bar.total()) bar.total(totalSteps - start);
        if (bar.due()) bar.update(step - start, extra(smoothedLoss));
    }

    private String extra(double smoothed) {
        String loss = String.format(Locale.ROOT, "loss %.4f", smoothed);
        return Double.isNaN(lr) ? loss : loss + String.format(Locale.ROOT, " | lr %.2e", lr);
    }

    @Override
    public void onSchedule(java.time.Duration budget, long estimatedSteps, double stepsPerSecond) {
        waitingForEstimate = false;
        bar.total(estimatedSteps - start);
        bar.note(Double.isNaN(stepsPerSecond)
                ? String.format(Locale.ROOT, "time budget %s: continuing the schedule of %d steps recorded in the checkpoint", Durations.format(budget), estimatedSteps)
                : String.format(Locale.ROOT, "time budget %s: ~%d steps at %s steps/s", Durations.format(budget), estimatedSteps, ProgressBar.rate(stepsPerSecond)));
    }

    /**
     * Runs {@code tr} with this bar and {@code log} (or null) hearing it; the log's last records
     * and loss.png are written before it returns.
     */
    TrainResult run(dev.panflow.api.Trainer tr, RunLog log) {
        try {
            TrainResult r = tr.run(TrainCommand.both(this, log));
            finish(r);
            if (log != null) log.finish();
            return r;
        } finally {
            if (log != null) log.close();
        }
    }

    /** The bar's last line, unless the run stopped early. */
    void finish(TrainResult r) {
        if (!r.stopped()) bar.finish(r.step() - start, extra(r.smoothedLoss()));
    }
}
