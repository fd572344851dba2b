package dev.panflow.mpi;

import dev.panflow.dist.Collective;
import dev.panflow.dist.CollectiveProvider;

/** Registers Open MPI as the "mpi" collective of data-parallel jobs. */
public final class MpiProvider implements CollectiveProvider {
    @Override public String name() { return "mpi"; }

    @Override public Collective open() { return Mpi.open(); }
}
