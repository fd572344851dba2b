package dev.panflow.cli;

import static dev.panflow.cli.CliTest.assertUserError;
import static dev.panflow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.io.Npy;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NllCliTest {
    static Path trainTiny(Path dir, String path) {
        Path out = dir.resolve("run-" + path);
        CliTest.Run t = run("train", "--data", "checkerboard", "--path", path, "--hidden", "16", "--layers", "2", "--batch", "64",
                "--steps", "30", "--samples", "0", "--threads", "1", "--out", out.toString());
        assertEquals(0, t.code(), t.err());
        return out.resolve("model.safetensors");
    }

    static double logLikelihood(String out) {
        Matcher m = Pattern.compile("log-likelihood (-?[0-9.]+) ± ([0-9.]+)").matcher(out);
        assertTrue(m.find(), out);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void nllPrintsLikelihoodStandardErrorAndNfe(@TempDir Path dir) {
        Path model = trainTiny(dir, "ot");
        CliTest.Run r = run("nll", "--model", model.toString(), "--n", "200", "--batch", "80", "--atol", "1e-4", "--rtol", "1e-4", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        double ll = logLikelihood(r.out());
        // The checkerboard's own density is 1/32 on its squares: no model can beat −ln 32 on average by much.
        assertTrue(ll < -Math.log(32) + 0.3 && ll > -20, r.out());
        assertTrue(r.out().contains("NFE"), r.out());
        CliTest.Run h = run("nll", "--model", model.toString(), "--n", "200", "--solver", "rk4", "--steps", "8",
                "--divergence", "hutchinson", "--probe", "gaussian", "--probes", "3", "--threads", "1");
        assertEquals(0, h.code(), h.err());
        assertTrue(Math.abs(logLikelihood(h.out()) - ll) < 1.0, h.out() + " vs " + ll);
    }

    @Test
    void nllWorksWithTheVePathsWidePrior(@TempDir Path dir) {
        Path model = trainTiny(dir, "ve");
        CliTest.Run r = run("nll", "--model", model.toString(), "--n", "100", "--solver", "rk4", "--steps", "20", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("N(0, 50"), r.err());
        assertTrue(Double.isFinite(logLikelihood(r.out())));
    }

    @Test
    void nllOnAFileAndBitsPerDim(@TempDir Path dir) {
        Path model = trainTiny(dir, "ot");
        Path npy = dir.resolve("pix.npy");
        try (Arena a = Arena.ofConfined()) {
            Tensor t = Tensor.of(a, new float[] {0, 255, 128, 3, 17, 200}, 3, 2);
            Npy.write(npy, t);
        }
        CliTest.Run r = run("nll", "--model", model.toString(), "--data", npy.toString(), "--bits-per-dim", "--solver", "euler", "--steps", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("3 points") && r.out().contains("bits per dimension"), r.out());
    }

    @Test
    void badInputIsAClearError(@TempDir Path dir) {
        Path model = trainTiny(dir, "ot");
        assertUserError(run("nll", "--model", dir.resolve("none.safetensors").toString()), "no model file");
        assertUserError(run("nll", "--model", model.toString(), "--divergence", "magic"), "unknown --divergence");
        assertUserError(run("nll", "--model", model.toString(), "--divergence", "hutchinson", "--probe", "x"), "unknown --probe");
        assertUserError(run("nll", "--model", model.toString(), "--probes", "0", "--divergence", "hutchinson"), "--probes");
        assertUserError(run("nll", "--model", model.toString(), "--n", "0"), "--n");
        Path npy = dir.resolve("three.npy");
        try (Arena a = Arena.ofConfined()) {
            Npy.write(npy, Tensor.of(a, new float[] {1, 2, 3}, 1, 3));
        }
        assertUserError(run("nll", "--model", model.toString(), "--data", npy.toString()), "3 columns");
        Path frac = dir.resolve("frac.npy");
        try (Arena a = Arena.ofConfined()) {
            Npy.write(frac, Tensor.of(a, new float[] {0.5f, 2}, 1, 2));
        }
        assertUserError(run("nll", "--model", model.toString(), "--data", frac.toString(), "--bits-per-dim"), "8-bit");
        assertEquals(0, run("nll", "--help").code());
    }
}
