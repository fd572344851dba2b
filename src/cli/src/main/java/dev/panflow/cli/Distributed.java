package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.dist.Collective;
import picocli.CommandLine.Option;

/** The --distributed option: data parallel over the ranks of an MPI job started by mpirun. */
final class Distributed {
    @Option(names = "--distributed", description = "Data parallel over MPI ranks (start with mpirun -np N; Open MPI:"
            + " apt-get install openmpi-bin libopenmpi-dev). The batch is split over the ranks; rank 0 writes the files.")
    boolean on;

    /** The job's collective: MPI when --distributed, else the single process. Close it at the end. */
    Collective open(String backend) {
        if (!on) return Collective.SINGLE;
        if (!dev.panflow.backend.Backends.byName(backend).dataParallel())
            throw new UserError("--distributed runs on the CPU backends (jvm, scalar, onednn); --backend cuda is one GPU per process, not yet data parallel");
        return dev.panflow.dist.CollectiveProvider.byName("mpi").open();
    }
}
