package dev.panflow.serve;

import dev.panflow.UserError;
import dev.panflow.api.LoadOptions;
import dev.panflow.api.ModelInfo;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.Samples;
import dev.panflow.io.Json;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.http.RequestException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http1.Http1Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * {@code panflow serve}: HTTP endpoints over a loaded {@link dev.panflow.api.Flow} (Helidon SE
 * web server, a virtual thread per request). Sampling requests go through a bounded queue and
 * dynamic batching ({@link Batcher}); likelihood requests share the same bound. The model is a
 * checkpoint file or a pretrained one ({@link ModelOrigin}). {@link #reload} swaps in a new model
 * atomically; {@link #drainAndStop} stops taking requests, finishes
 * those accepted, then stops the HTTP server.
 */
public final class FlowServer implements AutoCloseable {
    /** How long a sampling request may wait for its batch before it is a 503 and leaves the queue. */
    static final long REPLY_TIMEOUT_MS = 120_000;
    /** How often a queued request's handler checks that its client is still there. */
    static final long CLIENT_CHECK_MS = 50;
    /** The status logged (never received) for a request whose client left: nginx's "client closed request". */
    static final int CLIENT_GONE = 499;

    private final ServeConfig cfg;
    private final LoadOptions loadOptions;
    private final ServeMetrics metrics = new ServeMetrics();
    private final AtomicReference<ServedModel> current = new AtomicReference<>();
    private final RequestParser parser;
    private final Batcher batcher;
    private final Semaphore likelihoodSlots;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;
    private volatile ModelWatcher watcher;
    private static final System.Logger LOG = System.getLogger("dev.panflow.serve");
    private final WebServer server;

    private FlowServer(ServeConfig cfg, UnaryOperator<Batcher.Models> solves) {
        this.cfg = cfg;
        this.loadOptions = LoadOptions.defaults().backend(cfg.backend()).threads(cfg.threads()).maxConcurrentCalls(cfg.workers() + 1);
        current.set(ServedModel.load(cfg.model(), loadOptions));
        this.parser = new RequestParser(cfg.maxPoints());
        this.batcher = new Batcher(solves.apply(this::withModel), cfg, metrics);
        this.likelihoodSlots = new Semaphore(cfg.maxQueue());
        try {
            this.server = WebServer.builder()
                    .host(cfg.host()).port(cfg.port())
                    .maxPayloadSize(cfg.maxBodyBytes())
                    .shutdownHook(false) // the command's hook drains first, then stops the server
                    .shutdownGracePeriod(Duration.ofSeconds(5))
                    .addProtocol(Http1Config.builder().addReceiveListener(ClientLink.LISTENER).build())
                    .routing(r -> r
                            .post("/v1/sample", (req, res) -> handle("sample", req, res, this::sample))
                            .post("/v1/log-likelihood", (req, res) -> handle("log-likelihood", req, res, this::likelihood))
                            .get("/v1/model", (req, res) -> handle("model", req, res, (q, s) -> json(s, 200, modelJson())))
                            .post("/v1/reload", (req, res) -> handle("reload", req, res, this::reload))
                            .get("/healthz", (req, res) -> json(res, 200, "{\"status\": \"ok\"}"))
                            .get("/readyz", (req, res) -> json(res, draining ? 503 : 200, "{\"ready\": " + !draining + "}"))
                            .get("/metrics", (req, res) -> {
                                res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                                res.send(metrics.scrape());
                            }))
                    .build().start();
        } catch (RuntimeException e) {
            batcher.drain(0);
            current.get().retire();
            throw new UserError("cannot listen on " + cfg.host() + ":" + cfg.port() + ": " + e.getMessage());
        }
    }

    /** Loads the checkpoint and starts listening; a bad checkpoint or a taken port is a UserError. */
    public static FlowServer start(ServeConfig cfg) { return new FlowServer(cfg, UnaryOperator.identity()); }

    /** Tests: the batcher's solves go through {@code solves} (to hold them at a gate). */
    static FlowServer start(ServeConfig cfg, UnaryOperator<Batcher.Models> solves) { return new FlowServer(cfg, solves); }

    /** The port listened on (the one chosen when {@code port} was 0). */
    public int port() { return server.port(); }

    private interface Endpoint { int run(ServerRequest req, ServerResponse res) throws Exception; }

    /** Counts, times and answers one request; refusals become their status with {"error": ...}. */
    private void handle(String endpoint, ServerRequest req, ServerResponse res, Endpoint e) {
        long t0 = System.nanoTime();
        int status;
        inFlight.incrementAndGet();
        try {
            if (draining && !endpoint.equals("model")) throw new HttpError(503, "the server is shutting down");
            status = e.run(req, res);
        } catch (Exception err) {
            status = answerError(res, err);
        } finally {
            inFlight.decrementAndGet();
        }
        metrics.requests.labelValues(endpoint, Integer.toString(status)).inc();
        metrics.latency.labelValues(endpoint).observe((System.nanoTime() - t0) * 1e-9);
    }

    /**
     * The status and {"error": ...} body of a refusal: ours, bad input (400), the server's (a body
     * over maxBodyBytes: 413), or a bug (500).
     */
    private static int answerError(ServerResponse res, Throwable err) {
        if (err instanceof HttpError h) {
            if (h.status == 429) res.header(HeaderNames.RETRY_AFTER, "1");
            return json(res, h.status, Bodies.error(h.getMessage()));
        }
        if (err instanceof UserError u) return json(res, 400, Bodies.error(u.getMessage()));
        if (err instanceof HttpException h) return json(res, h.status().code(), Bodies.error(h.getMessage()));
        if (err instanceof RequestException h) return json(res, h.status().code(), Bodies.error(h.getMessage()));
        return json(res, 500, Bodies.error("internal error: " + err));
    }

    private static int json(ServerResponse res, int status, String body) {
        res.status(status).header(HeaderNames.CONTENT_TYPE, "application/json");
        try {
            res.send(body);
        } catch (java.io.UncheckedIOException e) {
            if (status != CLIENT_GONE) throw e; // nobody is there to read it
        }
        return status;
    }

    private static String body(ServerRequest req) { return req.content().hasEntity() ? req.content().as(String.class) : ""; }

    private <T> T withModel(Function<dev.panflow.api.Flow, T> f) {
        ServedModel m;
        while (!(m = current.get()).retain()) Thread.onSpinWait(); // retired between get and retain: take the new one
        try {
            return f.apply(m.flow);
        } finally {
            m.release();
        }
    }

    /**
     * Queues the request and answers when its batch is solved. One whose client disconnects
     * leaves the queue (its slot is free at once; a batch being formed skips it too); one not
     * solved in time leaves it with a 503.
     */
    private int sample(ServerRequest req, ServerResponse res) throws InterruptedException {
        ClientLink client;
        CompletableFuture<Samples> job;
        batcher.arrivalStarted();
        try {
            SampleRequest r = parser.sample(body(req));
            client = ClientLink.of(req);
            job = batcher.submit(r, client);
        } finally {
            batcher.arrivalEnded();
        }
        Samples s;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REPLY_TIMEOUT_MS);
        try {
            while (true) {
                try {
                    s = job.get(CLIENT_CHECK_MS, TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    client.probe();
                    if (client.gone() && batcher.withdraw(job)) throw new HttpError(CLIENT_GONE, "the client disconnected");
                    if (System.nanoTime() - deadline > 0) {
                        job.cancel(false);
                        throw new HttpError(503, "no solver batch took the request within " + REPLY_TIMEOUT_MS / 1000 + " s; retry later");
                    }
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Batcher.ClientGone) throw new HttpError(CLIENT_GONE, "the client disconnected");
            if (e.getCause() instanceof UserError u) throw u;
            throw new IllegalStateException(e.getCause());
        }
        metrics.points.labelValues("sample").inc(s.n());
        if (client.mustClose()) res.header(HeaderNames.CONNECTION, "close");
        boolean npy = req.headers().first(HeaderNames.ACCEPT).map(a -> a.contains("application/x-npy")).orElse(false);
        if (npy) {
            res.header(HeaderNames.CONTENT_TYPE, "application/x-npy");
            res.send(Bodies.npy(s));
            return 200;
        }
        return json(res, 200, Bodies.samplesJson(s));
    }

    private int likelihood(ServerRequest req, ServerResponse res) {
        if (!likelihoodSlots.tryAcquire()) throw new HttpError(429, "too many likelihood requests in progress (" + cfg.maxQueue() + "); retry later");
        try {
            int dim = current.get().flow.info().dim();
            RequestParser.Likelihood l = parser.likelihood(body(req), dim);
            var ll = withModel(f -> {
                if (f.info().dim() != dim) throw HttpError.badRequest("the model was reloaded with another dimension; send again");
                return f.logLikelihoodWithStats(l.points(), l.request());
            });
            metrics.points.labelValues("log-likelihood").inc(ll.logp().length);
            return json(res, 200, Bodies.likelihoodJson(ll.logp(), ll.nfe()));
        } finally {
            likelihoodSlots.release();
        }
    }

    /**
     * {"model": FILE} or {"pretrained": NAME} loads that; an empty body re-reads the served file.
     * A pretrained model has no file to re-read: an empty body then is a 409 naming the two fields.
     */
    private int reload(ServerRequest req, ServerResponse res) {
        ServedModel served = current.get();
        ModelOrigin next = served.origin;
        String body = body(req);
        if (!body.isBlank()) {
            Object v;
            try {
                v = Json.parse(body, 16);
            } catch (Json.ParseException e) {
                throw HttpError.badRequest("malformed JSON: " + e.getMessage());
            }
            if (!(v instanceof Map<?, ?> m)) throw HttpError.badRequest("the body must be a JSON object");
            for (Object k : m.keySet())
                if (!"model".equals(k) && !"pretrained".equals(k)) throw HttpError.badRequest("unknown field '" + k + "'; allowed: model, pretrained");
            if (m.containsKey("model") && m.containsKey("pretrained")) throw HttpError.badRequest("give either field 'model' or field 'pretrained', not both");
            if (m.get("model") instanceof String s) next = new ModelOrigin.File(Path.of(s));
            else if (m.containsKey("model")) throw HttpError.badRequest("field 'model' must be a string (a checkpoint path)");
            if (m.get("pretrained") instanceof String s) next = pretrainedOrigin(s);
            else if (m.containsKey("pretrained")) throw HttpError.badRequest("field 'pretrained' must be a string (" + dev.panflow.api.Pretrained.names() + ")");
        } else if (served.file() == null) {
            throw new HttpError(409, "the served model is the " + served.origin.describe()
                    + ", which has no file to re-read; name one: {\"model\": \"FILE\"} or {\"pretrained\": \"NAME\"}");
        }
        reload(next);
        return json(res, 200, modelJson());
    }

    private static ModelOrigin pretrainedOrigin(String name) {
        try {
            return ModelOrigin.pretrained(name);
        } catch (dev.panflow.InvalidParameterException e) {
            throw HttpError.badRequest("field 'pretrained': " + e.getMessage());
        }
    }

    /** Loads the checkpoint {@code file} and swaps it in; a bad file throws and the old model keeps serving. */
    public void reload(Path file) { reload(new ModelOrigin.File(file)); }

    /** Loads {@code origin}'s model and swaps it in; a bad one throws and the old model keeps serving. */
    public void reload(ModelOrigin origin) {
        ServedModel next;
        try {
            next = ServedModel.load(origin, loadOptions);
        } catch (RuntimeException e) {
            metrics.reloads.labelValues("refused").inc();
            throw e instanceof UserError u ? u : new UserError("cannot load " + origin.describe() + ": " + e.getMessage());
        }
        current.getAndSet(next).retire();
        metrics.reloads.labelValues("ok").inc();
    }

    /**
     * Reloads the checkpoint whenever {@code file} changes (once it has been quiet for
     * {@code debounce}), as {@link #reload(Path)} does: a file that does not load is refused and
     * logged, and the model before it keeps serving. A change that leaves the bytes as they were
     * is no reload.
     */
    public void watch(Path file, Duration debounce) {
        if (watcher != null) throw new IllegalStateException("already watching");
        watcher = new ModelWatcher(file, debounce, this::reloadChanged);
    }

    private void reloadChanged(Path file) {
        String hash;
        try {
            hash = ServedModel.sha256(file);
        } catch (RuntimeException e) { // gone, or unreadable
            metrics.reloads.labelValues("refused").inc();
            refusedLog(file, e);
            return;
        }
        if (hash.equals(current.get().sha256)) return;
        try {
            reload(file); // counts the outcome
            LOG.log(System.Logger.Level.INFO, "reloaded " + file + " (sha256 " + current.get().sha256 + ")");
        } catch (RuntimeException e) {
            refusedLog(file, e);
        }
    }

    private static void refusedLog(Path file, RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "refused the changed " + file + "; the model before it keeps serving: " + e.getMessage());
    }

    private String modelJson() {
        ServedModel m = current.get();
        ModelInfo i = m.flow.info();
        int[] shape = i.imageShape();
        return "{\"kind\": " + Json.quote(i.kind()) + ", \"dim\": " + i.dim()
                + ", \"image_shape\": " + (shape == null ? "null" : "[" + shape[0] + ", " + shape[1] + ", " + shape[2] + "]")
                + ", \"classes\": " + i.classes() + ", \"path\": " + Json.quote(i.path()) + ", \"data\": " + Json.quote(i.data())
                + ", \"step\": " + i.step() + ", \"ema\": " + i.ema() + ", " + originJson(m.origin)
                + ", \"sha256\": " + Json.quote(m.sha256) + "}";
    }

    /** "source" says which of "file" and "pretrained" names the model; the other is null. */
    private static String originJson(ModelOrigin o) {
        return switch (o) {
            case ModelOrigin.File f -> "\"source\": \"file\", \"file\": " + Json.quote(f.path().toString()) + ", \"pretrained\": null";
            case ModelOrigin.Shipped s -> "\"source\": \"pretrained\", \"file\": null, \"pretrained\": " + Json.quote(s.model().id());
        };
    }

    /** Requests waiting for a solver batch now. */
    public int queued() { return batcher.queued(); }

    /** Stops taking requests (503, /readyz too), finishes the accepted ones (at most timeoutMs), then stops listening. */
    public void drainAndStop(long timeoutMs) {
        draining = true;
        if (watcher != null) watcher.close();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        batcher.drain(timeoutMs);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) LockSupport.parkNanos(2_000_000); // handlers still answering
        server.stop();
        current.get().retire();
    }

    @Override
    public void close() { drainAndStop(30_000); }
}
