package dev.panflow.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QuickStart runs as documented and finds what it says it shows. */
class QuickStartTest {
    @Test
    void trainsSamplesAndScores(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        QuickStart.Result r = QuickStart.run(dir, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String log = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(dir.resolve("model.safetensors"), r.checkpoint());
        assertTrue(Files.size(r.checkpoint()) > 0);
        assertEquals(2000, r.samples());
        assertTrue(r.concurrentMatchesSequential(), log);
        assertTrue(Double.isFinite(r.meanLogLikelihoodOnData()) && Double.isFinite(r.meanLogLikelihoodFarAway()), log);
        // a perfect model gives log(1/32) ≈ −3.47 nats on the board; radius 12 lies far outside it (about −23.6 here)
        assertTrue(r.meanLogLikelihoodOnData() > -6, log);
        assertTrue(r.meanLogLikelihoodOnData() > r.meanLogLikelihoodFarAway() + 10, log);
        for (String line : new String[] {"step 100/300", "step 300/300", "trained 300 steps", "sampled 2000 points of dim 2",
                "4 threads sampled at once; seed 42 gave the same points as alone: true", "mean log p:"})
            assertTrue(log.contains(line), "no '" + line + "' in:\n" + log);
    }

    @Test
    void usesThePublicApiOnly() throws Exception {
        // surefire runs in the module's folder; a user copies this file, so it must not reach past dev.panflow.api
        String src = Files.readString(Path.of("src/main/java/dev/panflow/examples/QuickStart.java"));
        for (String line : src.lines().toList())
            if (line.startsWith("import "))
                assertTrue(line.startsWith("import java.") || line.startsWith("import dev.panflow.api."), line);
        assertEquals(src.split("dev\\.panflow\\.").length - 1, src.split("dev\\.panflow\\.(api|examples)").length - 1,
                "QuickStart names a dev.panflow package other than api");
    }
}
