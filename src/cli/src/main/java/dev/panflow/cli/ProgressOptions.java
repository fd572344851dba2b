package dev.panflow.cli;

import dev.panflow.UserError;
import picocli.CommandLine.Option;

/** --quiet and --log-every: how the commands that run long show their progress. */
final class ProgressOptions {
    static final ProgressOptions DEFAULT = new ProgressOptions();

    @Option(names = "--quiet", description = "No progress bar (results and notes are still printed).")
    boolean quiet;
    @Option(names = "--log-every", paramLabel = "SECONDS", description = "When stderr is not a terminal, a progress line every SECONDS (the first after 1 s) (default: ${DEFAULT-VALUE}).")
    double logEvery = 30;

    long logEveryNanos() {
        if (!(logEvery > 0) || logEvery > 1e6) throw new UserError("--log-every must be in (0, 1000000] seconds, got " + logEvery);
        return (long) (logEvery * 1e9);
    }
}
