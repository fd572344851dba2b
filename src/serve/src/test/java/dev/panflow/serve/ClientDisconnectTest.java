package dev.panflow.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.api.Flow;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A client that sends a sampling request and closes its socket while the request is queued frees its slot, unsolved. */
class ClientDisconnectTest {
    @TempDir
    Path dir;

    @Test
    void aQueuedRequestWhoseClientLeftIsDroppedAndCounted() throws Exception {
        Path model = FlowServerTest.train(dir.resolve("m"), 3);
        CountDownLatch entered = new CountDownLatch(1), gate = new CountDownLatch(1);
        AtomicInteger solves = new AtomicInteger(), points = new AtomicInteger();
        FlowServer server = FlowServer.start(new ServeConfig(model, "127.0.0.1", 0, 1, 4096, 4, 0, 1000, 1 << 20, "jvm", 1),
                inner -> new Batcher.Models() {
                    @Override
                    public <T> T with(Function<Flow, T> f) {
                        entered.countDown();
                        try {
                            assertTrue(gate.await(60, TimeUnit.SECONDS));
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        solves.incrementAndGet();
                        return inner.with(fl -> {
                            T out = f.apply(fl);
                            if (out instanceof java.util.List<?> l) for (Object s : l) points.addAndGet(((dev.panflow.api.Samples) s).n());
                            return out;
                        });
                    }
                });
        try {
            String base = "http://127.0.0.1:" + server.port();
            HttpClient http = HttpClient.newHttpClient();
            // A request that holds the only worker at the gate.
            CompletableFuture<HttpResponse<String>> held = http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/sample"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"n\": 3, \"steps\": 4}")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(entered.await(60, TimeUnit.SECONDS));
            // A raw client queues a request, then hangs up.
            String body = "{\"n\": 7, \"steps\": 4}";
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/sample HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                while (server.queued() == 0) Thread.sleep(2);
            }
            while (server.queued() > 0) Thread.sleep(5); // the handler sees the socket closed and frees the slot
            String metrics = get(http, base + "/metrics");
            assertEquals(1.0, FlowServerTest.metric(metrics, "panflow_client_gone_total"), metrics);
            gate.countDown();
            HttpResponse<String> r = held.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            // Another request still works, and the gone one was never solved: only the 3 + 2 points.
            var again = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/sample"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"n\": 2, \"steps\": 4}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, again.statusCode(), again.body());
            assertEquals(2, solves.get());
            assertEquals(5, points.get(), "the request of the client that left was solved");
            metrics = get(http, base + "/metrics");
            assertTrue(metrics.contains("panflow_requests_total{endpoint=\"sample\",status=\"499\"} 1.0"), metrics);
        } finally {
            gate.countDown();
            server.drainAndStop(10_000);
        }
    }

    /** A request that stays connected while it waits in the queue is not taken for gone. */
    @Test
    void aPatientClientIsAnswered() throws Exception {
        Path model = FlowServerTest.train(dir.resolve("p"), 4);
        CountDownLatch entered = new CountDownLatch(1), gate = new CountDownLatch(1);
        FlowServer server = FlowServer.start(new ServeConfig(model, "127.0.0.1", 0, 1, 4096, 4, 0, 1000, 1 << 20, "jvm", 1),
                inner -> new Batcher.Models() {
                    @Override
                    public <T> T with(Function<Flow, T> f) {
                        entered.countDown();
                        try {
                            assertTrue(gate.await(60, TimeUnit.SECONDS));
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        return inner.with(f);
                    }
                });
        try {
            String base = "http://127.0.0.1:" + server.port();
            HttpClient http = HttpClient.newHttpClient();
            var first = http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/sample"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"n\": 3, \"steps\": 4}")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(entered.await(60, TimeUnit.SECONDS));
            var second = http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/sample"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"n\": 4, \"steps\": 4}")).build(), HttpResponse.BodyHandlers.ofString());
            while (server.queued() == 0) Thread.sleep(2);
            Thread.sleep(4 * FlowServer.CLIENT_CHECK_MS); // several client checks pass while it waits
            assertEquals(1, server.queued(), "a connected client's request left the queue");
            gate.countDown();
            assertEquals(200, first.get(60, TimeUnit.SECONDS).statusCode());
            assertEquals(200, second.get(60, TimeUnit.SECONDS).statusCode());
            assertEquals(0.0, FlowServerTest.metric(get(http, base + "/metrics"), "panflow_client_gone_total"));
        } finally {
            gate.countDown();
            server.drainAndStop(10_000);
        }
    }

    /**
     * A client that pipelines its next request while the first waits: the watch reads the start
     * of the next request, so the first is answered whole with Connection: close and the
     * connection ends (the client sends the next one again), rather than a mangled second answer.
     */
    @Test
    void aPipelinedRequestEndsTheConnectionCleanly() throws Exception {
        Path model = FlowServerTest.train(dir.resolve("q"), 5);
        CountDownLatch entered = new CountDownLatch(1), gate = new CountDownLatch(1);
        FlowServer server = FlowServer.start(new ServeConfig(model, "127.0.0.1", 0, 1, 4096, 4, 0, 1000, 1 << 20, "jvm", 1),
                inner -> new Batcher.Models() {
                    @Override
                    public <T> T with(Function<Flow, T> f) {
                        entered.countDown();
                        try {
                            assertTrue(gate.await(60, TimeUnit.SECONDS));
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        return inner.with(f);
                    }
                });
        try {
            HttpClient http = HttpClient.newHttpClient();
            var held = http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/sample"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"n\": 3, \"steps\": 4}")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(entered.await(60, TimeUnit.SECONDS));
            String body = "{\"n\": 2, \"steps\": 4}";
            String one = "POST /v1/sample HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(60_000);
                s.getOutputStream().write(one.getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                while (server.queued() == 0) Thread.sleep(2);
                s.getOutputStream().write(one.getBytes(StandardCharsets.US_ASCII)); // pipelined
                s.getOutputStream().flush();
                Thread.sleep(4 * FlowServer.CLIENT_CHECK_MS); // the watch probes meanwhile
                gate.countDown();
                String reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII); // to the end: it must close
                assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
                assertTrue(reply.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), reply);
                assertEquals(1, reply.split("HTTP/1.1 ", -1).length - 1, "one answer, then the end: " + reply);
                assertTrue(reply.endsWith("}"), "the first answer is whole: " + reply);
            }
            assertEquals(200, held.get(60, TimeUnit.SECONDS).statusCode());
        } finally {
            gate.countDown();
            server.drainAndStop(10_000);
        }
    }

    static String get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
