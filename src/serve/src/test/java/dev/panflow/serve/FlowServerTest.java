package dev.panflow.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.api.DataSets;
import dev.panflow.api.Flow;
import dev.panflow.api.ProgressListener;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.Trainer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server end to end over HTTP on a tiny trained model: statuses, messages, determinism, batching, reload. */
class FlowServerTest {
    @TempDir
    static Path dir;
    static Path model, other;
    static FlowServer server;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        model = train(dir.resolve("a"), 0);
        other = train(dir.resolve("b"), 1);
        server = FlowServer.start(new ServeConfig(model, "127.0.0.1", 0, 1, 4096, 64, 30, 10_000, 1 << 20, "jvm", 1));
    }

    static Path train(Path out, long seed) {
        try (Trainer t = Trainer.builder().data(DataSets.builtIn("checkerboard")).mlp(32, 2).batch(128).steps(40).warmup(0)
                .seed(seed).threads(1).out(out).build()) {
            return t.run(ProgressListener.NONE).checkpoint();
        }
    }

    @AfterAll
    static void stop() { server.drainAndStop(10_000); }

    record Reply(int status, String body, String retryAfter) {}

    static Reply post(String path, String body) throws Exception {
        var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), r.headers().firstValue("Retry-After").orElse(null));
    }

    static Reply get(String path) throws Exception {
        var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), null);
    }

    static void refused(int status, String fragment, String path, String body) throws Exception {
        Reply r = post(path, body);
        assertEquals(status, r.status(), r.body());
        assertTrue(r.body().startsWith("{\"error\": ") && r.body().contains(fragment), r.body());
    }

    @Test
    void badRequestsGetTheirStatusAndNameTheField() throws Exception {
        refused(400, "malformed JSON", "/v1/sample", "{\"n\": 3");
        refused(400, "unknown field 'count'", "/v1/sample", "{\"n\": 3, \"count\": 2}");
        refused(400, "field 'n' must be an integer", "/v1/sample", "{\"n\": \"3\"}");
        refused(400, "field 'n' is required", "/v1/sample", "{}");
        refused(400, "field 'n' must be ≥ 1", "/v1/sample", "{\"n\": 0}");
        refused(400, "unknown solver", "/v1/sample", "{\"n\": 3, \"solver\": \"leapfrog\"}");
        refused(400, "steps", "/v1/sample", "{\"n\": 3, \"steps\": 0}");
        refused(400, "class", "/v1/sample", "{\"n\": 3, \"class\": 1}");
        refused(413, "at most 10000 points", "/v1/sample", "{\"n\": 10001}");
        refused(400, "the body must be a JSON object", "/v1/sample", "[1, 2]");
        refused(400, "malformed JSON", "/v1/log-likelihood", "{\"points\": [[NaN, 1]]}");
        refused(400, "points[0][1] is not finite", "/v1/log-likelihood", "{\"points\": [[0, 1e39]]}");
        refused(400, "points[1] has 3 values; the model has dim 2", "/v1/log-likelihood", "{\"points\": [[0, 1], [1, 2, 3]]}");
        refused(400, "points[0][0] must be a number", "/v1/log-likelihood", "{\"points\": [[\"a\", 1]]}");
        refused(400, "field 'points' is required", "/v1/log-likelihood", "{}");
        refused(400, "field 'divergence'", "/v1/log-likelihood", "{\"points\": [[0, 1]], \"divergence\": \"magic\"}");
        String huge = "{\"points\": [" + "[0.0, 1.0], ".repeat(120_000) + "[0, 1]]}"; // 1.4 MB > the 1 MiB body limit
        // Expect: 100-continue, so the 413 comes before the body is sent: a server that refuses it while
        // the body is still coming closes the connection, and the client may lose the answer in the reset
        var big = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/log-likelihood")).expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofString(huge)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(413, big.statusCode(), big.body());
    }

    @Test
    void sameSeedSameNumbersWhateverRunsBesideAndAsTheLibraryGives() throws Exception {
        String body = "{\"n\": 5, \"seed\": 7, \"solver\": \"rk4\", \"steps\": 8}";
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            String b = i % 2 == 0 ? body : "{\"n\": " + (1 + i) + ", \"seed\": " + i + ", \"solver\": \"rk4\", \"steps\": 8}";
            replies.add(pool.submit(() -> post("/v1/sample", b)));
        }
        String first = null;
        for (int i = 0; i < replies.size(); i++) {
            Reply r = replies.get(i).get();
            assertEquals(200, r.status(), r.body());
            if (i % 2 == 0) {
                if (first == null) first = r.body();
                assertEquals(first, r.body(), "same request, same seed: same numbers");
            }
        }
        pool.shutdown();
        try (Flow f = Flow.load(model)) {
            float[][] x = f.sample(SampleRequest.of(5).seed(7).solver("rk4").steps(8));
            List<Float> got = numbers(first.substring(0, first.indexOf("\"nfe\"")));
            for (int r = 0; r < 5; r++)
                for (int c = 0; c < 2; c++) assertEquals(x[r][c], got.get(2 * r + c), "row " + r + " col " + c);
        }
        String metrics = get("/metrics").body();
        double batches = metric(metrics, "panflow_batch_requests_count"), merged = metric(metrics, "panflow_batch_requests_sum");
        assertTrue(merged > batches, "32 concurrent requests with one solver setting were not merged: " + merged + " requests in " + batches + " batches");
        assertTrue(metrics.contains("panflow_requests_total{endpoint=\"sample\",status=\"200\"}"), metrics);
    }

    @Test
    void dopri5PointRequestsAreMergedAndKeepTheirOwnPoints() throws Exception {
        String before = get("/metrics").body();
        double batches0 = metric(before, "panflow_batch_requests_count"), merged0 = metric(before, "panflow_batch_requests_sum");
        String body = "{\"n\": 6, \"seed\": 11, \"solver\": \"dopri5-point\", \"atol\": 1e-4, \"rtol\": 1e-4}";
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            String b = i % 2 == 0 ? body : "{\"n\": " + (2 + i) + ", \"seed\": " + i + ", \"solver\": \"dopri5-point\", \"atol\": 1e-4, \"rtol\": 1e-4}";
            replies.add(pool.submit(() -> post("/v1/sample", b)));
        }
        List<String> same = new ArrayList<>();
        for (int i = 0; i < replies.size(); i++) {
            Reply r = replies.get(i).get();
            assertEquals(200, r.status(), r.body());
            if (i % 2 == 0) same.add(r.body());
        }
        pool.shutdown();
        try (Flow f = Flow.load(model)) {
            var alone = f.sampleWithStats(SampleRequest.of(6).seed(11).solver("dopri5-point").tolerances(1e-4, 1e-4));
            for (String got : same) {
                assertEquals(same.get(0), got, "same request, same seed: same numbers and nfe, whatever it was merged with");
                List<Float> x = numbers(got.substring(0, got.indexOf("\"nfe\"")));
                for (int k = 0; k < alone.values().length; k++) assertEquals(alone.values()[k], x.get(k), "value " + k);
                assertTrue(got.endsWith("\"nfe\": " + alone.nfe() + "}"), got + " vs nfe " + alone.nfe());
            }
        }
        String after = get("/metrics").body();
        double batches = metric(after, "panflow_batch_requests_count") - batches0, merged = metric(after, "panflow_batch_requests_sum") - merged0;
        assertTrue(merged > batches, "24 concurrent dopri5-point requests were not merged: " + merged + " requests in " + batches + " batches");
    }

    @Test
    void likelihoodAndModelInfo() throws Exception {
        Reply r = post("/v1/log-likelihood", "{\"points\": [[0.5, 0.5], [30, 30]]}");
        assertTrue(!r.body().contains("\"nfe\": -1") && r.body().matches(".*\"nfe\": [1-9][0-9]*}"), r.body());
        assertEquals(200, r.status(), r.body());
        List<Float> ll = numbers(r.body().substring(0, r.body().indexOf("\"nfe\"")));
        assertTrue(ll.get(0) > ll.get(1), "a point far outside the data must be less likely: " + r.body());
        Reply m = get("/v1/model");
        assertTrue(m.body().contains("\"kind\": \"mlp\"") && m.body().contains("\"dim\": 2") && m.body().contains("\"sha256\""), m.body());
        assertEquals(200, get("/healthz").status());
        assertEquals(200, get("/readyz").status());
    }

    @Test
    void reloadSwapsAtomicallyAndRefusesABadFileWhileTheOldServes() throws Exception {
        String before = get("/v1/model").body();
        Path bad = dir.resolve("bad.safetensors");
        Files.write(bad, new byte[] {1, 2, 3});
        refused(400, "bad.safetensors", "/v1/reload", "{\"model\": \"" + bad + "\"}");
        assertEquals(before, get("/v1/model").body(), "a refused reload must keep the old model");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Reply>> load = new ArrayList<>();
        for (int i = 0; i < 40; i++) load.add(pool.submit(() -> post("/v1/sample", "{\"n\": 16, \"steps\": 20}")));
        Reply swapped = post("/v1/reload", "{\"model\": \"" + other + "\"}");
        assertEquals(200, swapped.status(), swapped.body());
        for (Future<Reply> f : load) assertEquals(200, f.get().status(), "a request under reload failed");
        pool.shutdown();
        assertTrue(!get("/v1/model").body().equals(before), "the reload did not change the model");
        assertEquals(200, post("/v1/reload", "{\"model\": \"" + model + "\"}").status());
        assertEquals(before, get("/v1/model").body());
    }

    static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?(E-?\\d+)?");

    static List<Float> numbers(String s) {
        List<Float> out = new ArrayList<>();
        for (Matcher m = NUMBER.matcher(s); m.find(); ) out.add(Float.parseFloat(m.group()));
        return out;
    }

    static double metric(String text, String name) {
        for (String line : text.split("\n")) if (line.startsWith(name + " ")) return Double.parseDouble(line.substring(name.length() + 1));
        throw new AssertionError("no metric " + name + " in\n" + text);
    }
}
