package dev.panflow.cli;

import static dev.panflow.cli.CliTest.assertUserError;
import static dev.panflow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentCliTest {
    @Test
    void pathsExperimentWritesTablesAndFigure(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("exp");
        CliTest.Run r = run("experiment", "paths", "--paths", "ot,ve", "--steps", "10", "--hidden", "8", "--layers", "1",
                "--batch", "32", "--test", "20", "--eval", "20", "--nfe", "4", "--threads", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        String md = Files.readString(out.resolve("paths.md"));
        assertTrue(md.contains("| ot |") && md.contains("| ve |") && md.contains("| ot | rk4 | 4 |"), md);
        assertTrue(Files.size(out.resolve("paths.png")) > 1000);
        assertTrue(Files.isRegularFile(out.resolve("ve/model.safetensors")));
        var img = javax.imageio.ImageIO.read(out.resolve("paths.png").toFile());
        assertEquals(2 * 200 + 4, img.getHeight());
        assertUserError(run("experiment", "paths", "--nfe", "6", "--out", out.toString()), "multiples of 4");
        assertUserError(run("experiment", "paths", "--data", "nope.npy", "--out", out.toString()), "built-in");
        assertUserError(run("experiment", "paths", "--paths", "ot,zz", "--steps", "1", "--out", out.toString()), "unknown path");
        assertEquals(2, run("experiment").code());
    }
}
