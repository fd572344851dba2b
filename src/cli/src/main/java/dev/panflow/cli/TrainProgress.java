package dev.panflow.cli;

import dev.panflow.api.ProgressListener;
import dev.panflow.api.TrainResult;

/** How every command shows a {@link dev.panflow.api.Trainer} run: a progress bar with the smoothed loss. */
final class TrainProgress implements ProgressListener {
    private final ProgressBar bar;
    private final long start;

    /** {@code start}: the step the run begins at (a resumed run's bar counts the steps of this run). */
    TrainProgress(String label, long totalSteps, long start) {
        this.bar = new ProgressBar(label, totalSteps);
        this.start = start;
    }

    @Override
    public void onStep(long step, long totalSteps, double loss, double smoothedLoss) {
        bar.update(step - start, String.format("loss %.4f", smoothedLoss));
    }

    /** The bar's last line, unless the run stopped early. */
    void finish(TrainResult r) {
        if (!r.stopped()) bar.finish(r.step() - start, String.format("loss %.4f", r.smoothedLoss()));
    }
}
