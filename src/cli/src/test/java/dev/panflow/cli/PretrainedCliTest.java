package dev.panflow.cli;

import static dev.panflow.cli.CliTest.assertUserError;
import static dev.panflow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.api.Pretrained;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sample / nll --pretrained NAME with no training, and export. */
@Tag("slow") // end-to-end runs of the commands
class PretrainedCliTest {
    @Test
    void sampleThePretrainedCheckerboard(@TempDir Path dir) {
        Path npy = dir.resolve("s.npy");
        CliTest.Run r = run("sample", "--pretrained", "checkerboard", "--n", "3000", "--solver", "rk4", "--steps", "20",
                "--threads", "2", "--out", npy.toString());
        assertEquals(0, r.code(), r.err());
        Matcher m = Pattern.compile("on-square fraction ([0-9.]+)").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Double.parseDouble(m.group(1)) > 0.9, r.out());
        assertTrue(Files.exists(npy));
    }

    @Test
    void sampleThePretrainedFashionMnistWritesAGrid(@TempDir Path dir) throws Exception {
        Path npy = dir.resolve("boots.npy");
        CliTest.Run r = run("sample", "--pretrained", "fashion-mnist", "--class", "9", "--n", "4", "--steps", "8",
                "--guidance", "2", "--threads", "2", "--out", npy.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(npy) > 4 * 784 * 4, "npy of " + Files.size(npy) + " bytes");
        assertTrue(Files.size(dir.resolve("boots.png")) > 200);
    }

    @Test
    void nllOfThePretrainedCheckerboard() {
        CliTest.Run r = run("nll", "--pretrained", "checkerboard", "--n", "200", "--batch", "200", "--solver", "rk4",
                "--steps", "10", "--threads", "2", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("log-likelihood"), r.out());
        assertTrue(r.err().contains("pretrained model checkerboard"), r.err());
    }

    @Test
    void badChoicesAreOneLineErrors() {
        assertUserError(run("sample", "--pretrained", "mnist"), "unknown --pretrained 'mnist'; choose checkerboard or fashion-mnist");
        assertUserError(run("sample", "--model", "m.safetensors", "--pretrained", "checkerboard"), "either --model FILE or --pretrained NAME");
        assertUserError(run("nll"), "either --model FILE or --pretrained NAME");
        assertUserError(run("sample", "--pretrained", "checkerboard", "--class", "3"), "--class and --guidance need");
        CliTest.Run help = run("sample", "--help");
        assertTrue(help.out().contains("--pretrained") && help.out().contains("fashion-mnist"), help.out());
        for (Pretrained p : Pretrained.values()) assertTrue(help.out().contains(p.id()), p.id());
    }

    @Test
    void exportWritesAQuarterSizedFileThatSamples(@TempDir Path dir) throws Exception {
        Path runDir = dir.resolve("run");
        CliTest.Run t = run("train", "--data", "checkerboard", "--hidden", "32", "--layers", "2", "--batch", "128", "--steps", "30",
                "--samples", "0", "--threads", "2", "--quiet", "--out", runDir.toString());
        assertEquals(0, t.code(), t.err());
        Path full = runDir.resolve("model.safetensors"), slim = dir.resolve("ship").resolve("cb.safetensors");
        CliTest.Run e = run("export", "--model", full.toString(), "--out", slim.toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("SHA-256 "), e.out());
        assertTrue(Files.size(slim) < Files.size(full) / 3, Files.size(slim) + " vs " + Files.size(full));
        CliTest.Run s = run("sample", "--model", slim.toString(), "--n", "100", "--steps", "5", "--out", dir.resolve("s.npy").toString());
        assertEquals(0, s.code(), s.err());
        Path again = dir.resolve("again");
        Files.createDirectories(again);
        Files.copy(slim, again.resolve("model.safetensors"));
        assertUserError(run("train", "--data", "checkerboard", "--hidden", "32", "--layers", "2", "--batch", "128", "--steps", "30",
                "--samples", "0", "--resume", "--quiet", "--out", again.toString()), "cannot be resumed");
        assertUserError(run("export", "--model", dir.resolve("none.safetensors").toString(), "--out", slim.toString()), "no model file");
    }
}
