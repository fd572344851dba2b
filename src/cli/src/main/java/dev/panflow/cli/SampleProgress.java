package dev.panflow.cli;

import dev.panflow.api.SampleListener;
import dev.panflow.api.Samples;

/**
 * How the commands show a sampling solve: points done of n (a fixed-step solve's row-steps ÷
 * steps, an adaptive one's share of the time span), points/s, the NFE so far and the ETA.
 * The solver calls it one call at a time, possibly from its pool threads.
 */
final class SampleProgress implements SampleListener {
    private final ProgressBar bar;

    SampleProgress(String label, int n, ProgressOptions options) {
        this(new ProgressBar(label, n, options).unit("points"));
    }

    SampleProgress(ProgressBar bar) { this.bar = bar; }

    @Override
    public void onProgress(long done, long total, long nfe) {
        if (bar.due()) bar.update(done, "NFE " + nfe);
    }

    /** The last line: all points, the solve's NFE. */
    void finish(Samples s) { bar.finish(s.n(), "NFE " + s.nfe()); }

    /** The last line of a solve that returned only its NFE. */
    void finish(int n, long nfe) { bar.finish(n, "NFE " + nfe); }
}
