package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.api.Pretrained;
import dev.panflow.serve.FlowServer;
import dev.panflow.serve.ModelOrigin;
import dev.panflow.serve.ServeConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a trained model (--model FILE) or a shipped one (--pretrained NAME) over HTTP: POST /v1/sample,"
                + " POST /v1/log-likelihood, GET /v1/model, POST /v1/reload, GET /healthz, /readyz, /metrics (Prometheus).",
                "Concurrent sampling requests with the same solver settings (a fixed-step solver, or dopri5-point) are solved"
                + " together (dynamic batching); each keeps the points of its own seed. A queued request whose client disconnects"
                + " is dropped unsolved.",
                "SIGTERM or Ctrl-C: stop taking requests, finish those accepted, exit."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    ModelSource source = new ModelSource();
    @Option(names = "--host", description = "Address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for every interface).")
    String host = "127.0.0.1";
    @Option(names = "--port", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port = 8080;
    @Mixin
    Threads threads;
    @Option(names = "--max-batch", paramLabel = "N", description = "Most points in one solver batch (default: ${DEFAULT-VALUE}).")
    int maxBatch = 4096;
    @Option(names = "--max-queue", paramLabel = "Q", description = "Most requests waiting; past it: 429 with Retry-After (default: ${DEFAULT-VALUE}).")
    int maxQueue = 256;
    @Option(names = "--max-wait-ms", paramLabel = "W", description = {"The longest a batch's oldest request waits for others to join it; a batch waits only while",
            "other requests are being received, so a lone request or a full queue goes at once (default: ${DEFAULT-VALUE})."})
    int maxWaitMs = 5;
    @Option(names = "--max-points", paramLabel = "P", description = "Most points one request may ask for or send; past it: 413 (default: ${DEFAULT-VALUE}).")
    int maxPoints = 65_536;
    @Option(names = "--workers", description = "Solver batches run at once, each on --threads kernel threads (default: ${DEFAULT-VALUE}).")
    int workers = 1;
    @Option(names = "--watch", description = {"Reload the checkpoint whenever the --model file changes (once it has been unchanged",
            "for 500 ms), as POST /v1/reload does: a file that does not load is refused and logged, and the model before it keeps serving.",
            "Needs --model (a pretrained model has no file to watch)."})
    boolean watch;
    @Option(names = "--backend", description = "jvm, scalar, onednn or cuda (default: ${DEFAULT-VALUE}).")
    String backend = "jvm";

    /** How long the watched file must stay unchanged before it is reloaded (a writer may still be at it). */
    private static final java.time.Duration WATCH_QUIET = java.time.Duration.ofMillis(500);

    /** Held so the level sticks (java.util.logging keeps loggers weakly): the web server's start-up lines are noise here. */
    private static final java.util.logging.Logger HELIDON = java.util.logging.Logger.getLogger("io.helidon");

    @Override
    public Integer call() throws InterruptedException {
        HELIDON.setLevel(java.util.logging.Level.WARNING);
        source.check();
        if (watch && source.model == null) throw new UserError("--watch needs --model FILE: a pretrained model has no file to watch");
        ModelOrigin origin = source.model != null ? new ModelOrigin.File(source.model) : new ModelOrigin.Shipped(Pretrained.byName(source.pretrained));
        ServeConfig cfg = new ServeConfig(origin, host, port, threads.checked(), maxBatch, maxQueue, maxWaitMs, maxPoints, 64L << 20,
                backend, workers);
        FlowServer server = FlowServer.start(cfg);
        if (watch) server.watch(source.model, WATCH_QUIET);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("panflow serve: draining ...");
            server.drainAndStop(30_000);
            System.err.println("panflow serve: stopped");
            stopped.countDown();
        }));
        System.err.printf("panflow serve: %s on http://%s:%d (max batch %d, queue %d, wait %d ms%s)%n", source.describe(), host, server.port(),
                maxBatch, maxQueue, maxWaitMs, watch ? ", watching the file" : "");
        stopped.await();
        return 0;
    }
}
