package dev.panflow.serve;

import dev.panflow.UserError;
import dev.panflow.api.LoadOptions;
import dev.panflow.api.ModelInfo;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.Samples;
import dev.panflow.io.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code panflow serve}: HTTP endpoints over a loaded {@link dev.panflow.api.Flow} (Javalin, a
 * virtual thread per request). Sampling requests go through a bounded queue and dynamic
 * batching ({@link Batcher}); likelihood requests share the same bound. {@link #reload} swaps in
 * a new checkpoint atomically; {@link #drainAndStop} stops taking requests, finishes those
 * accepted, then stops the HTTP server.
 */
public final class FlowServer implements AutoCloseable {
    private final ServeConfig cfg;
    private final LoadOptions loadOptions;
    private final ServeMetrics metrics = new ServeMetrics();
    private final AtomicReference<ServedModel> current = new AtomicReference<>();
    private final RequestParser parser;
    private final Batcher batcher;
    private final Semaphore likelihoodSlots;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;
    private final Javalin app;

    private FlowServer(ServeConfig cfg) {
        this.cfg = cfg;
        this.loadOptions = LoadOptions.defaults().backend(cfg.backend()).threads(cfg.threads()).maxConcurrentCalls(cfg.workers() + 1);
        current.set(ServedModel.load(cfg.model(), loadOptions));
        this.parser = new RequestParser(cfg.maxPoints());
        this.batcher = new Batcher(this::withModel, cfg, metrics);
        this.likelihoodSlots = new Semaphore(cfg.maxQueue());
        this.app = Javalin.create(c -> {
            c.concurrency.useVirtualThreads = true;
            c.http.maxRequestSize = cfg.maxBodyBytes();
            c.http.asyncTimeout = 120_000; // a reply not ready by then is a 503 and its request leaves the queue
            c.jetty.timeoutStatus = 503;
            c.startup.showJavalinBanner = false;
            c.routes.post("/v1/sample", this::sample);
            c.routes.post("/v1/log-likelihood", ctx -> handle("log-likelihood", ctx, this::likelihood));
            c.routes.get("/v1/model", ctx -> handle("model", ctx, x -> { x.contentType("application/json").result(modelJson()); return 200; }));
            c.routes.post("/v1/reload", ctx -> handle("reload", ctx, this::reload));
            c.routes.get("/healthz", ctx -> ctx.contentType("application/json").result("{\"status\": \"ok\"}"));
            c.routes.get("/readyz", ctx -> {
                boolean ready = !draining;
                ctx.status(ready ? 200 : 503).contentType("application/json").result("{\"ready\": " + ready + "}");
            });
            c.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
        });
        try {
            app.start(cfg.host(), cfg.port());
        } catch (RuntimeException e) {
            batcher.drain(0);
            current.get().retire();
            throw new UserError("cannot listen on " + cfg.host() + ":" + cfg.port() + ": " + e.getMessage());
        }
    }

    /** Loads the checkpoint and starts listening; a bad checkpoint or a taken port is a UserError. */
    public static FlowServer start(ServeConfig cfg) { return new FlowServer(cfg); }

    /** The port listened on (the one chosen when {@code port} was 0). */
    public int port() { return app.port(); }

    private interface Endpoint { int run(Context ctx) throws Exception; }

    /** Counts, times and answers one request; refusals become their status with {"error": ...}. */
    private void handle(String endpoint, Context ctx, Endpoint e) {
        long t0 = System.nanoTime();
        int status;
        inFlight.incrementAndGet();
        try {
            if (draining && !endpoint.equals("model")) throw new HttpError(503, "the server is shutting down");
            status = e.run(ctx);
        } catch (Exception err) {
            status = answerError(ctx, err);
        } finally {
            inFlight.decrementAndGet();
        }
        done(endpoint, t0, status);
    }

    private void done(String endpoint, long t0, int status) {
        metrics.requests.labelValues(endpoint, Integer.toString(status)).inc();
        metrics.latency.labelValues(endpoint).observe((System.nanoTime() - t0) * 1e-9);
    }

    /** The status and {"error": ...} body of a refusal: ours, bad input (400), Javalin's (e.g. 413 for a large body), or a bug (500). */
    private static int answerError(Context ctx, Throwable err) {
        if (err instanceof HttpError h) {
            if (h.status == 429) ctx.header("Retry-After", "1");
            return fail(ctx, h.status, h.getMessage());
        }
        if (err instanceof UserError u) return fail(ctx, 400, u.getMessage());
        if (err instanceof HttpResponseException h) return fail(ctx, h.getStatus(), h.getMessage());
        return fail(ctx, 500, "internal error: " + err);
    }

    private static int fail(Context ctx, int status, String message) {
        ctx.status(status).contentType("application/json").result(Bodies.error(message));
        return status;
    }

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
     * Queues the request and answers when its batch is solved, without holding a thread. When
     * Javalin cancels the reply (its async timeout), the request leaves the queue if it was not
     * solved yet. A disconnected client is not noticed before the reply is written.
     */
    private void sample(Context ctx) {
        long t0 = System.nanoTime();
        SampleRequest req;
        CompletableFuture<Samples> job;
        inFlight.incrementAndGet();
        try {
            if (draining) throw new HttpError(503, "the server is shutting down");
            req = parser.sample(ctx.body());
            job = batcher.submit(req);
        } catch (RuntimeException e) {
            inFlight.decrementAndGet();
            done("sample", t0, answerError(ctx, e));
            return;
        }
        boolean npy = ctx.header("Accept") != null && ctx.header("Accept").contains("application/x-npy");
        CompletableFuture<Void> reply = job.handle((s, err) -> {
            int status;
            if (err != null) {
                status = answerError(ctx, err instanceof java.util.concurrent.CompletionException c ? c.getCause() : err);
            } else {
                metrics.points.labelValues("sample").inc(s.n());
                if (npy) ctx.contentType("application/x-npy").result(Bodies.npy(s));
                else ctx.contentType("application/json").result(Bodies.samplesJson(s));
                status = 200;
            }
            done("sample", t0, status);
            return null;
        });
        reply.whenComplete((v, e) -> {
            inFlight.decrementAndGet();
            if (reply.isCancelled()) job.cancel(false); // the client went away
        });
        ctx.future(() -> reply);
    }

    private int likelihood(Context ctx) throws Exception {
        if (!likelihoodSlots.tryAcquire()) throw new HttpError(429, "too many likelihood requests in progress (" + cfg.maxQueue() + "); retry later");
        try {
            int dim = current.get().flow.info().dim();
            RequestParser.Likelihood l = parser.likelihood(ctx.body(), dim);
            var ll = withModel(f -> {
                if (f.info().dim() != dim) throw HttpError.badRequest("the model was reloaded with another dimension; send again");
                return f.logLikelihoodWithStats(l.points(), l.request());
            });
            metrics.points.labelValues("log-likelihood").inc(ll.logp().length);
            ctx.contentType("application/json").result(Bodies.likelihoodJson(ll.logp(), ll.nfe()));
            return 200;
        } finally {
            likelihoodSlots.release();
        }
    }

    private int reload(Context ctx) {
        Path file = current.get().file;
        String body = ctx.body();
        if (!body.isBlank()) {
            Object v;
            try {
                v = Json.parse(body, 16);
            } catch (Json.ParseException e) {
                throw HttpError.badRequest("malformed JSON: " + e.getMessage());
            }
            if (!(v instanceof Map<?, ?> m)) throw HttpError.badRequest("the body must be a JSON object");
            for (Object k : m.keySet()) if (!"model".equals(k)) throw HttpError.badRequest("unknown field '" + k + "'; allowed: model");
            if (m.get("model") instanceof String s) file = Path.of(s);
            else if (m.containsKey("model")) throw HttpError.badRequest("field 'model' must be a string (a checkpoint path)");
        }
        reload(file);
        ctx.contentType("application/json").result(modelJson());
        return 200;
    }

    /** Loads {@code file} and swaps it in; a bad file throws and the old model keeps serving. */
    public void reload(Path file) {
        ServedModel next;
        try {
            next = ServedModel.load(file, loadOptions);
        } catch (RuntimeException e) {
            metrics.reloads.labelValues("refused").inc();
            throw e instanceof UserError u ? u : new UserError("cannot load " + file + ": " + e.getMessage());
        }
        current.getAndSet(next).retire();
        metrics.reloads.labelValues("ok").inc();
    }

    private String modelJson() {
        ServedModel m = current.get();
        ModelInfo i = m.flow.info();
        int[] shape = i.imageShape();
        return "{\"kind\": " + Json.quote(i.kind()) + ", \"dim\": " + i.dim()
                + ", \"image_shape\": " + (shape == null ? "null" : "[" + shape[0] + ", " + shape[1] + ", " + shape[2] + "]")
                + ", \"classes\": " + i.classes() + ", \"path\": " + Json.quote(i.path()) + ", \"data\": " + Json.quote(i.data())
                + ", \"step\": " + i.step() + ", \"ema\": " + i.ema() + ", \"file\": " + Json.quote(m.file.toString())
                + ", \"sha256\": " + Json.quote(m.sha256) + "}";
    }

    /** Requests waiting for a solver batch now. */
    public int queued() { return batcher.queued(); }

    /** Stops taking requests (503, /readyz too), finishes the accepted ones (at most timeoutMs), then stops listening. */
    public void drainAndStop(long timeoutMs) {
        draining = true;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        batcher.drain(timeoutMs);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) LockSupport.parkNanos(2_000_000); // handlers still writing responses
        // An async reply is written by Javalin just after its future completes (after our count drops): let those bytes out.
        LockSupport.parkNanos(300_000_000L);
        app.stop();
        current.get().retire();
    }

    @Override
    public void close() { drainAndStop(30_000); }
}
