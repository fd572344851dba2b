package dev.panflow.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.api.Flow;
import dev.panflow.api.Pretrained;
import dev.panflow.api.SampleRequest;
import dev.panflow.serve.FlowServerTest.Reply;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Serving a model that ships with Panflow: /v1/model says so, samples are the library's, reload needs a file or a name. */
class PretrainedServeTest {
    @TempDir
    static Path dir;
    static Path trained;
    static FlowServer server;

    @BeforeAll
    static void start() {
        trained = FlowServerTest.train(dir.resolve("a"), 0);
        server = FlowServer.start(new ServeConfig(ModelOrigin.pretrained("checkerboard"), "127.0.0.1", 0, 1, 4096, 16, 0, 10_000,
                1 << 20, "jvm", 1));
    }

    @AfterAll
    static void stop() { server.drainAndStop(10_000); }

    static final HttpClient http = HttpClient.newHttpClient();

    static Reply post(String path, String body) throws Exception {
        var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), null);
    }

    static void refused(int status, String fragment, String body) throws Exception {
        Reply r = post("/v1/reload", body);
        assertEquals(status, r.status(), r.body());
        assertTrue(r.body().startsWith("{\"error\": ") && r.body().contains(fragment), r.body());
    }

    static String model() throws Exception {
        var m = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/model")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, m.statusCode(), m.body());
        return m.body();
    }

    @Test
    void servesThePretrainedModelAndReloadNeedsAFileOrAName() throws Exception {
        String m = model();
        assertTrue(m.contains("\"source\": \"pretrained\"") && m.contains("\"pretrained\": \"checkerboard\"") && m.contains("\"file\": null")
                && m.contains("\"sha256\": \"" + Pretrained.CHECKERBOARD.sha256() + "\""), m);

        Reply s = post("/v1/sample", "{\"n\": 4, \"seed\": 3, \"solver\": \"rk4\", \"steps\": 6}");
        assertEquals(200, s.status(), s.body());
        try (Flow f = Flow.loadPretrained("checkerboard")) {
            float[][] x = f.sample(SampleRequest.of(4).seed(3).solver("rk4").steps(6));
            List<Float> got = FlowServerTest.numbers(s.body().substring(0, s.body().indexOf("\"nfe\"")));
            for (int r = 0; r < 4; r++)
                for (int c = 0; c < 2; c++) assertEquals(x[r][c], got.get(2 * r + c), "row " + r + " col " + c);
        }

        // Nothing to re-read: a 409 that says what to send; bad fields are 400s naming them; the model stays.
        refused(409, "no file to re-read", "");
        refused(400, "field 'pretrained'", "{\"pretrained\": \"mnist\"}");
        refused(400, "field 'pretrained' must be a string", "{\"pretrained\": 3}");
        refused(400, "not both", "{\"pretrained\": \"checkerboard\", \"model\": \"" + trained + "\"}");
        refused(400, "unknown field 'file'", "{\"file\": \"" + trained + "\"}");
        assertEquals(m, model(), "a refused reload must keep the pretrained model");

        // A named file swaps in; then an empty body re-reads that file; a name swaps the pretrained model back.
        Reply r = post("/v1/reload", "{\"model\": \"" + trained + "\"}");
        assertEquals(200, r.status(), r.body());
        assertTrue(r.body().contains("\"source\": \"file\"") && r.body().contains("\"pretrained\": null")
                && r.body().contains("\"file\": \"" + trained + "\"") && r.body().contains("\"sha256\": \"" + ServedModel.sha256(trained) + "\""), r.body());
        assertEquals(200, post("/v1/reload", "").status());
        Reply back = post("/v1/reload", "{\"pretrained\": \"checkerboard\"}");
        assertEquals(200, back.status(), back.body());
        assertEquals(m, model());
    }
}
