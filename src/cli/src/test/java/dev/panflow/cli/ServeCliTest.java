package dev.panflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** panflow serve as a process: it starts on a trained model, answers, and on SIGTERM finishes the accepted requests before it exits. */
@Tag("slow") // ~5 s: a child JVM
class ServeCliTest {
    @Test
    void sigtermDrainsAcceptedRequestsThenExits(@TempDir Path dir) throws Exception {
        CliTest.Run t = CliTest.run("train", "--out", dir.toString(), "--steps", "30", "--hidden", "16", "--layers", "1",
                "--batch", "64", "--samples", "0", "--threads", "1");
        assertEquals(0, t.code(), t.err());
        List<String> cmd = ChildJvm.java();
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--model",
                dir.resolve("model.safetensors").toString(), "--port", "0", "--threads", "1", "--max-wait-ms", "5000", "--watch")); // --watch: its watcher must not keep the process from exiting
        Path log = dir.resolve("serve.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            int port = port(log, p);
            HttpClient http = HttpClient.newHttpClient();
            List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
            for (int i = 0; i < 8; i++)
                replies.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sample"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"n\": 64, \"seed\": " + i + ", \"steps\": 400}")).build(),
                        HttpResponse.BodyHandlers.ofString()));
            Thread.sleep(1500); // the requests are accepted and queued: the batch waits up to 5 s for company
            p.destroy(); // SIGTERM
            for (var r : replies) assertEquals(200, r.get(30, TimeUnit.SECONDS).statusCode(), "an accepted request was dropped by the drain");
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server did not exit after draining");
            String out = Files.readString(log);
            assertTrue(out.contains("draining") && out.contains("stopped"), out);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void servesAPretrainedModelAndRefusesWatchingIt(@TempDir Path dir) throws Exception {
        CliTest.assertUserError(CliTest.run("serve", "--pretrained", "checkerboard", "--watch", "--port", "0"), "--watch needs --model FILE");
        CliTest.assertUserError(CliTest.run("serve", "--port", "0"), "give either --model FILE or --pretrained NAME");
        CliTest.assertUserError(CliTest.run("serve", "--pretrained", "mnist", "--port", "0"), "mnist");
        List<String> cmd = ChildJvm.java();
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--pretrained", "checkerboard",
                "--port", "0", "--threads", "1"));
        Path log = dir.resolve("serve.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            int port = port(log, p);
            assertTrue(Files.readString(log).contains("pretrained model checkerboard on http://"), Files.readString(log));
            HttpClient http = HttpClient.newHttpClient();
            var m = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/model")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, m.statusCode(), m.body());
            assertTrue(m.body().contains("\"source\": \"pretrained\"") && m.body().contains("\"pretrained\": \"checkerboard\""), m.body());
            var s = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sample"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"n\": 8, \"steps\": 10}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, s.statusCode(), s.body());
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server did not exit");
        } finally {
            p.destroyForcibly();
        }
    }

    private static int port(Path log, Process p) throws Exception {
        Pattern on = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)");
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline && p.isAlive()) {
            Matcher m = on.matcher(Files.readString(log));
            if (m.find()) return Integer.parseInt(m.group(1));
            Thread.sleep(50);
        }
        throw new AssertionError("the server did not start:\n" + Files.readString(log));
    }
}
