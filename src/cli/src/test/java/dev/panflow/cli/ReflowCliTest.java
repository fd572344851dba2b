package dev.panflow.cli;

import static dev.panflow.cli.CliTest.assertUserError;
import static dev.panflow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.io.Safetensors;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReflowCliTest {
    @Test
    void reflowTrainsOnPairsAndPrintsTheEulerTable(@TempDir Path dir) {
        Path model = NllCliTest.trainTiny(dir, "ot");
        Path out = dir.resolve("reflow");
        CliTest.Run r = run("reflow", "--model", model.toString(), "--out", out.toString(), "--pairs", "300", "--steps", "15",
                "--solver", "rk4", "--pair-steps", "5", "--eval", "200", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
        try (Arena a = Arena.ofConfined()) {
            var meta = Safetensors.read(out.resolve("model.safetensors"), a).metadata();
            assertEquals("paired", meta.get("coupling"));
            assertEquals("15", meta.get("step"));
            assertEquals("checkerboard", meta.get("data"));
        }
        for (String row : new String[] {"          1 |", "          2 |", "          4 |"}) assertTrue(r.out().contains(row), r.out());
        // The reflowed model samples like any other.
        assertEquals(0, run("sample", "--model", out.resolve("model.safetensors").toString(), "--n", "50", "--steps", "2",
                "--out", dir.resolve("s.npy").toString()).code());
        assertUserError(run("reflow", "--model", model.toString(), "--out", out.toString(), "--pairs", "0"), "--pairs");
        assertUserError(run("reflow", "--model", dir.resolve("nope").toString(), "--out", out.toString()), "no model file");
    }
}
