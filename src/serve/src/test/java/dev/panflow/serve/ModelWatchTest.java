package dev.panflow.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --watch: a changed checkpoint file is swapped in; a bad one is refused, counted, and the old model keeps serving. */
class ModelWatchTest {
    @TempDir
    Path dir;
    final HttpClient http = HttpClient.newHttpClient();
    FlowServer server;

    String get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    int sample() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/sample"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"n\": 4, \"steps\": 5}")).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** Replaces {@code target} as an atomic writer does: a temporary file in the same folder, renamed over it. */
    static void replace(Path target, byte[] bytes) throws Exception {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    double reloads(String outcome) throws Exception {
        String m = get("/metrics"), key = "panflow_reloads_total{outcome=\"" + outcome + "\"} ";
        for (String line : m.split("\n")) if (line.startsWith(key)) return Double.parseDouble(line.substring(key.length()));
        return 0;
    }

    interface Check { boolean ok() throws Exception; }

    /** Polls until {@code check} holds (the watcher reloads on its own thread), failing after 30 s. */
    static void await(Check check, String what) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!check.ok()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void aChangedFileIsSwappedInAndABadOneRefused() throws Exception {
        Path served = dir.resolve("serve").resolve("model.safetensors");
        Files.createDirectories(served.getParent());
        Files.copy(FlowServerTest.train(dir.resolve("a"), 5), served);
        byte[] other = Files.readAllBytes(FlowServerTest.train(dir.resolve("b"), 6));
        server = FlowServer.start(new ServeConfig(served, "127.0.0.1", 0, 1, 4096, 16, 0, 1000, 1 << 20, "jvm", 1));
        try {
            server.watch(served, Duration.ofMillis(100));
            String before = get("/v1/model");
            Files.write(dir.resolve("serve").resolve("unrelated.txt"), new byte[] {1}); // another file in the folder: no reload
            replace(served, other);
            // The new model is served a moment before its reload is counted: wait for the count.
            await(() -> reloads("ok") >= 1, "the first reload");
            String swapped = get("/v1/model");
            assertTrue(!swapped.equals(before), "the changed file is served");
            assertEquals(1.0, reloads("ok"), get("/metrics"));
            assertEquals(200, sample());

            replace(served, new byte[] {1, 2, 3}); // not a checkpoint
            await(() -> reloads("refused") >= 1, "the refusal");
            assertEquals(swapped, get("/v1/model"), "a refused file must leave the model as it was");
            assertEquals(200, sample(), "the old model keeps serving");

            replace(served, other); // the same bytes as served: nothing to reload
            Files.copy(FlowServerTest.train(dir.resolve("a"), 5), dir.resolve("again.safetensors"));
            replace(served, Files.readAllBytes(dir.resolve("again.safetensors")));
            await(() -> reloads("ok") >= 2, "the second reload");
            assertTrue(!get("/v1/model").equals(swapped), "the file changed back is served");
            assertEquals(2.0, reloads("ok"));
            assertEquals(1.0, reloads("refused"));
        } finally {
            server.drainAndStop(10_000);
        }
    }
}
