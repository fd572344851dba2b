package dev.panflow.cli;

import dev.panflow.UserError;
import picocli.CommandLine.Option;

/** The --threads option shared by commands that run kernels. */
final class Threads {
    @Option(names = "--threads", paramLabel = "T",
            description = "Kernel threads (default: the number of cores, ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    int checked() {
        int max = 4 * Runtime.getRuntime().availableProcessors() + 4;
        if (threads < 1 || threads > max)
            throw new UserError("--threads must be in [1, " + max + "] on this machine, got " + threads);
        return threads;
    }
}
