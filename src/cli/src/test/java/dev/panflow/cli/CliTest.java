package dev.panflow.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static void assertUserError(Run r, String fragment) {
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(fragment), "expected '" + fragment + "' in: " + r.err());
        assertFalse(r.err().contains("\tat "), "stack trace printed: " + r.err());
    }

    @Test
    void everyCommandHasHelp() {
        for (String[] args : new String[][] {{"--help"}, {"train", "--help"}, {"sample", "--help"}}) {
            Run r = run(args);
            assertEquals(0, r.code());
            assertTrue(r.out().contains("Usage:"), r.out());
        }
    }

    @Test
    void trainThenSampleWritesCheckpointSamplesAndPicture(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        Run t = run("train", "--data", "checkerboard", "--hidden", "32", "--layers", "2", "--batch", "128",
                "--steps", "60", "--samples", "500", "--sample-steps", "10", "--threads", "2", "--out", out.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(Files.size(out.resolve("model.safetensors")) > 1000);
        assertTrue(Files.size(out.resolve("samples.png")) > 1000);
        assertTrue(t.out().contains("on-square fraction"), t.out());
        Path npy = dir.resolve("s.npy"), png = dir.resolve("s.png");
        Run s = run("sample", "--model", out.resolve("model.safetensors").toString(), "--n", "300", "--solver", "rk4",
                "--steps", "5", "--out", npy.toString(), "--png", png.toString());
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("NFE 20"), s.out());
        assertEquals(128 + 300 * 2 * 4, Files.size(npy));
        assertTrue(Files.exists(png));
        Run d = run("sample", "--model", out.resolve("model.safetensors").toString(), "--n", "200", "--solver", "dopri5",
                "--out", npy.toString());
        assertEquals(0, d.code(), d.err());
        assertTrue(d.out().contains("NFE"), d.out());
    }

    @Test
    void badInputGetsOneLineAndExitCode2(@TempDir Path dir) throws Exception {
        assertUserError(run("train", "--data", "nosuchset", "--out", dir.toString()), "unknown dataset");
        assertUserError(run("train", "--bogus-flag"), "bogus-flag");
        assertUserError(run("train", "--steps", "0", "--out", dir.toString()), "--steps");
        assertUserError(run("train", "--batch", "-5", "--out", dir.toString()), "--batch");
        assertUserError(run("train", "--path", "zigzag", "--out", dir.toString()), "zigzag");
        assertUserError(run("train", "--threads", "100000", "--out", dir.toString()), "--threads");
        assertUserError(run("train", "--data", dir.resolve("missing.npy").toString(), "--out", dir.toString()), "missing.npy");
        assertUserError(run("sample", "--model", dir.resolve("nope.safetensors").toString()), "nope.safetensors");
        assertUserError(run("sample", "--model", dir.toString(), "--solver", "euler"), "no model file");
        Path junk = dir.resolve("junk.safetensors");
        Files.write(junk, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
        assertEquals(2, run("sample", "--model", junk.toString()).code());
        assertUserError(run("frobnicate"), "frobnicate");
    }

    @Test
    void resumeContinuesTheSameRunAndRefusesOtherFlags(@TempDir Path dir) throws Exception {
        String[] common = {"train", "--data", "moons", "--hidden", "16", "--layers", "2", "--batch", "32",
                "--steps", "40", "--samples", "0", "--threads", "1"};
        Path straight = dir.resolve("a"), resumed = dir.resolve("b");
        assertEquals(0, run(cat(common, "--out", straight.toString())).code());
        // Intermediate checkpoints do not perturb the run: the final tensors are bit-identical.
        // (Resuming from the middle of a run is checked bit for bit in CfmTrainerTest.)
        Path ckpt = resumed.resolve("model.safetensors");
        assertEquals(0, run(cat(common, "--out", resumed.toString(), "--checkpoint-every", "25")).code());
        assertSameTensors(straight.resolve("model.safetensors"), ckpt);
        byte[] before = Files.readAllBytes(ckpt);
        // Resuming a finished run loads it and changes nothing.
        Run again = run(cat(common, "--out", resumed.toString(), "--checkpoint-every", "25", "--resume"));
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("resumed"), again.err());
        assertArrayEquals(before, Files.readAllBytes(ckpt));
        assertUserError(run("train", "--data", "moons", "--hidden", "32", "--layers", "2", "--batch", "32",
                "--steps", "40", "--resume", "--out", resumed.toString()), "another configuration");
        assertUserError(run("train", "--resume", "--out", dir.resolve("empty").toString()), "no checkpoint");
    }

    static void assertSameTensors(Path a, Path b) {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var ta = dev.panflow.io.Safetensors.read(a, arena).tensors();
            var tb = dev.panflow.io.Safetensors.read(b, arena).tensors();
            assertEquals(ta.keySet(), tb.keySet());
            for (String k : ta.keySet()) assertArrayEquals(ta.get(k).toArray(), tb.get(k).toArray(), k);
        }
    }

    static String[] cat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void nanInUserDataIsRefused(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("d.csv");
        Files.writeString(csv, "1,2\n3,NaN\n");
        assertUserError(run("train", "--data", csv.toString(), "--out", dir.resolve("o").toString(), "--steps", "1"), "d.csv");
    }
}
