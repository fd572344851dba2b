package dev.panflow.dist;

import dev.panflow.UserError;
import java.util.ServiceLoader;

/**
 * A way to run a data-parallel job ("mpi" in panflow-native), found through {@link ServiceLoader}
 * ({@code META-INF/services/dev.panflow.dist.CollectiveProvider}) so the core names no library.
 */
public interface CollectiveProvider {
    String name();

    /** Joins the job this process was started in (e.g. by mpirun). */
    Collective open();

    /** The provider called {@code name}, or a UserError saying what to add. */
    static CollectiveProvider byName(String name) {
        for (CollectiveProvider p : ServiceLoader.load(CollectiveProvider.class, CollectiveProvider.class.getClassLoader()))
            if (p.name().equals(name)) return p;
        throw new UserError("no '" + name + "' collective on the class path: data-parallel jobs need panflow-native");
    }
}
