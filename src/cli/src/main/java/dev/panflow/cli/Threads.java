package dev.panflow.cli;

import dev.panflow.UserError;
import picocli.CommandLine.Option;

/** The --threads option shared by commands that run kernels. */
final class Threads {
    @Option(names = "--threads", paramLabel = "T",
            description = "Kernel threads (default: the number of cores, ${DEFAULT-VALUE}; under mpirun, the cores shared by the ranks on this machine).")
    int threads = defaultThreads();

    /** The cores, divided among the ranks mpirun started on this machine (Open MPI sets OMPI_COMM_WORLD_LOCAL_SIZE). */
    static int defaultThreads() {
        int cores = Runtime.getRuntime().availableProcessors();
        try {
            String local = System.getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
            return local == null ? cores : Math.max(1, cores / Math.max(1, Integer.parseInt(local.trim())));
        } catch (NumberFormatException e) {
            return cores;
        }
    }

    int checked() {
        int max = 4 * Runtime.getRuntime().availableProcessors() + 4;
        if (threads < 1 || threads > max)
            throw new UserError("--threads must be in [1, " + max + "] on this machine, got " + threads);
        return threads;
    }
}
