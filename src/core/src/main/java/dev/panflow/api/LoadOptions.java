package dev.panflow.api;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.backend.Backends;
import dev.panflow.dist.Collective;
import java.nio.file.Path;

/**
 * How to load a {@link Flow}: EMA weights (the default) or the raw ones; the backend
 * ("jvm", "scalar", or one that panflow-native adds: "onednn", "cuda"); kernel threads per call;
 * how many calls may run at once (each running call holds its own copy of the network's buffers;
 * further calls wait); a folder searched first for a backend's native libraries; and the
 * collective of a data-parallel job (one process by default).
 */
public record LoadOptions(boolean ema, String backend, int threads, int maxConcurrentCalls, Path libraryDir,
                          Collective collective) {
    public LoadOptions {
        if (collective == null) collective = Collective.SINGLE;
        if (collective.size() > 1) maxConcurrentCalls = 1; // the ranks' collective calls must come in one order
        if (threads < 1 || threads > 1024) throw InvalidParameterException.range("threads", 1, 1024, threads);
        if (maxConcurrentCalls < 1 || maxConcurrentCalls > 4096)
            throw InvalidParameterException.range("maxConcurrentCalls", 1, 4096, maxConcurrentCalls);
        backend = Backends.check(backend);
    }

    /** EMA weights, the jvm backend, all cores for each call, as many concurrent calls as cores. */
    public static LoadOptions defaults() {
        int cores = Runtime.getRuntime().availableProcessors();
        return new LoadOptions(true, Backends.DEFAULT, cores, cores, null, Collective.SINGLE);
    }

    public LoadOptions ema(boolean ema) { return new LoadOptions(ema, backend, threads, maxConcurrentCalls, libraryDir, collective); }

    public LoadOptions backend(String name) { return new LoadOptions(ema, name, threads, maxConcurrentCalls, libraryDir, collective); }

    public LoadOptions threads(int threads) { return new LoadOptions(ema, backend, threads, maxConcurrentCalls, libraryDir, collective); }

    public LoadOptions maxConcurrentCalls(int calls) { return new LoadOptions(ema, backend, threads, calls, libraryDir, collective); }

    /** Samples split over the ranks of a data-parallel job (one call at a time); rank 0 gets the points. */
    public LoadOptions collective(Collective c) { return new LoadOptions(ema, backend, threads, maxConcurrentCalls, libraryDir, c); }

    public LoadOptions libraryDir(Path dir) { return new LoadOptions(ema, backend, threads, maxConcurrentCalls, dir, collective); }
}
