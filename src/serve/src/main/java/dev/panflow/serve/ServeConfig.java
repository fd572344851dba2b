package dev.panflow.serve;

import dev.panflow.InvalidParameterException;
import java.nio.file.Path;

/**
 * How the server runs: the model (a checkpoint file or a pretrained model), where it listens, kernel threads per solve, the largest
 * solver batch that dynamic batching builds ({@code maxBatch} points), how many requests may wait
 * ({@code maxQueue}; past it: 429), the longest a batch's oldest request waits for company
 * ({@code maxWaitMs}; a batch waits only while other requests are being received), the most points one request may ask for or send ({@code maxPoints}; past
 * it: 413), the largest body accepted ({@code maxBodyBytes}), the backend and concurrent solves.
 */
public record ServeConfig(ModelOrigin model, String host, int port, int threads, int maxBatch, int maxQueue, int maxWaitMs,
                          int maxPoints, long maxBodyBytes, String backend, int workers) {
    public ServeConfig {
        if (model == null) throw new InvalidParameterException("model must be given", "model");
        if (port < 0 || port > 65535) throw InvalidParameterException.range("port", 0, 65535, port);
        if (threads < 1 || threads > 1024) throw InvalidParameterException.range("threads", 1, 1024, threads);
        if (maxBatch < 1 || maxBatch > 1 << 22) throw InvalidParameterException.range("maxBatch", 1, 1 << 22, maxBatch);
        if (maxQueue < 1 || maxQueue > 1 << 20) throw InvalidParameterException.range("maxQueue", 1, 1 << 20, maxQueue);
        if (maxWaitMs < 0 || maxWaitMs > 60_000) throw InvalidParameterException.range("maxWaitMs", 0, 60_000, maxWaitMs);
        if (maxPoints < 1 || maxPoints > 1 << 24) throw InvalidParameterException.range("maxPoints", 1, 1 << 24, maxPoints);
        if (maxBodyBytes < 1024) throw InvalidParameterException.atLeast("maxBodyBytes", 1024, maxBodyBytes);
        if (workers < 1 || workers > 64) throw InvalidParameterException.range("workers", 1, 64, workers);
    }

    /** Serves the checkpoint {@code file}. */
    public ServeConfig(Path file, String host, int port, int threads, int maxBatch, int maxQueue, int maxWaitMs,
                       int maxPoints, long maxBodyBytes, String backend, int workers) {
        this(file == null ? null : new ModelOrigin.File(file), host, port, threads, maxBatch, maxQueue, maxWaitMs, maxPoints,
                maxBodyBytes, backend, workers);
    }
}
