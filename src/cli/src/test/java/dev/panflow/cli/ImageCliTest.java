package dev.panflow.cli;

import static dev.panflow.cli.CliTest.assertUserError;
import static dev.panflow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.FashionMnist;
import dev.panflow.io.Npy;
import java.awt.image.BufferedImage;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train --model unet / sample on a tiny hand-made Fashion-MNIST stand-in (8×8 images). */
class ImageCliTest {
    @TempDir Path dir;

    static byte[] idx(int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        return b.put(data).array();
    }

    @BeforeEach
    void fakeDataSet() throws Exception {
        writeFakeFashionMnist(dir);
        System.setProperty(FashionMnist.DIR_PROPERTY, dir.toString());
    }

    /** 20 labelled 8×8 images (class c: the first c columns bright) as train and t10k IDX files in {@code dir}. */
    static void writeFakeFashionMnist(Path dir) throws java.io.IOException {
        int n = 20;
        byte[] px = new byte[n * 64], lab = new byte[n];
        for (int i = 0; i < n; i++) {
            lab[i] = (byte) (i % 10);
            for (int p = 0; p < 64; p++) px[i * 64 + p] = (byte) ((p % 8 < lab[i] % 8) ? 200 : 10);
        }
        for (String split : new String[] {"train", "t10k"}) {
            Files.write(dir.resolve(split + "-images-idx3-ubyte"), idx(new int[] {n, 8, 8}, px));
            Files.write(dir.resolve(split + "-labels-idx1-ubyte"), idx(new int[] {n}, lab));
        }
    }

    @AfterEach
    void restore() { System.clearProperty(FashionMnist.DIR_PROPERTY); }

    /** --model unet takes the image recipe for what the user did not give (the checkpoint records it), and keeps what they did. */
    @Test
    void unetDefaultsApplyOnlyToOptionsNotGiven() throws Exception {
        String[] common = {"train", "--data", "fashion-mnist", "--model", "unet", "--channels", "4,8", "--groups", "2",
                "--attention", "0", "--steps", "1", "--samples", "0", "--threads", "1"};
        Path defaults = dir.resolve("defaults"), given = dir.resolve("given");
        CliTest.Run d = run(concat(common, "--out", defaults.toString()));
        assertEquals(0, d.code(), d.err());
        CliTest.Run g = run(concat(common, "--out", given.toString(), "--batch", "8", "--lr", "1e-3", "--warmup", "7"));
        assertEquals(0, g.code(), g.err());
        try (Arena a = Arena.ofConfined()) {
            var md = dev.panflow.io.Safetensors.read(defaults.resolve("model.safetensors"), a).metadata();
            assertEquals("64", md.get("batch"));
            assertEquals("0.002", md.get("lr"));
            assertEquals("300", md.get("warmup"));
            var mg = dev.panflow.io.Safetensors.read(given.resolve("model.safetensors"), a).metadata();
            assertEquals("8", mg.get("batch"));
            assertEquals("0.001", mg.get("lr"));
            assertEquals("7", mg.get("warmup"));
        }
    }

    @Test
    void conditionalUnetTrainsResumesAndSamplesWithGuidance() throws Exception {
        Path out = dir.resolve("run");
        String[] common = {"train", "--data", "fashion-mnist", "--model", "unet", "--channels", "4,8", "--groups", "2",
                "--conditional", "--batch", "4", "--threads", "2", "--sample-steps", "2", "--samples", "10", "--out", out.toString()};
        CliTest.Run t = run(concat(common, "--steps", "3", "--eval-every", "3"));
        assertEquals(0, t.code(), t.err());
        assertEquals(2 + 4 * (16 + 2), ImageIO.read(out.resolve("progress/step-000000003.png").toFile()).getWidth()); // --samples 10: 4 a row
        assertTrue(Files.size(out.resolve("loss.png")) > 1000 && Files.size(out.resolve("run.json")) > 100);
        assertTrue(t.err().contains("U-Net 4,8, class-conditional"), t.err());
        BufferedImage grid = ImageIO.read(out.resolve("samples.png").toFile());
        assertEquals(2 + 10 * (16 + 2), grid.getWidth());   // one column per class, 8×8 pixels zoomed 2×
        try (Arena a = Arena.ofConfined()) {
            var s = Npy.read(out.resolve("samples.npy"), a);
            assertEquals(10, s.dim(0));
            assertEquals(64, s.dim(1));
        }
        CliTest.Run r = run(concat(common, "--steps", "5", "--resume"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("resumed"), r.err());

        Path npy = dir.resolve("s.npy");
        CliTest.Run s = run("sample", "--model", out.resolve("model.safetensors").toString(), "--n", "3", "--steps", "2",
                "--guidance", "2", "--class", "7", "--out", npy.toString());
        assertEquals(0, s.code(), s.err());
        assertTrue(Files.size(dir.resolve("s.png")) > 100);
        assertUserError(run("sample", "--model", out.resolve("model.safetensors").toString(), "--class", "10", "--out", npy.toString()),
                "--class must be in [0, 9]");
        String[] other = common.clone();
        other[6] = "4,4";
        assertUserError(run(concat(other, "--steps", "5", "--resume")), "another configuration");
    }

    @Tag("slow") // ~2.3 s

    @Test
    void unetLikelihoodInBitsPerDimAndThePathsExperiment() throws Exception {
        Path out = dir.resolve("run");
        CliTest.Run t = run("train", "--data", "fashion-mnist", "--model", "unet", "--channels", "4,8", "--groups", "2",
                "--batch", "4", "--steps", "4", "--samples", "0", "--threads", "1", "--out", out.toString());
        assertEquals(0, t.code(), t.err());
        CliTest.Run n = run("nll", "--model", out.resolve("model.safetensors").toString(), "--n", "6", "--atol", "1e-3",
                "--rtol", "1e-3", "--threads", "1");
        assertEquals(0, n.code(), n.err());
        assertTrue(n.err().contains("6 points of fashion-mnist-test") && n.err().contains("divergence exact"), n.err()); // auto: 64 dims
        var m = java.util.regex.Pattern.compile("bits per dimension ([0-9.]+)").matcher(n.out());
        assertTrue(m.find(), n.out());
        double bpd = Double.parseDouble(m.group(1));
        assertTrue(bpd > 1 && bpd < 30, "bits per dimension " + bpd); // 8-bit data: a barely trained model is near 8–9

        Path exp = dir.resolve("paths");
        CliTest.Run e = run("experiment", "paths", "--data", "fashion-mnist", "--channels", "4,8", "--steps", "3", "--batch", "4",
                "--test", "3", "--eval", "3", "--nfe", "4", "--tol", "1e-3", "--threads", "1", "--out", exp.toString());
        assertEquals(0, e.code(), e.err());
        String md = Files.readString(exp.resolve("paths.md"));
        for (String p : new String[] {"| ot |", "| vp |", "| ve |", "| ot | rk4 | 4 |"}) assertTrue(md.contains(p), p + " in " + md);
        BufferedImage png = ImageIO.read(exp.resolve("paths.png").toFile());
        assertEquals(2 + 5 * (16 + 2), png.getWidth()); // t = 0, 1/4, 1/2, 3/4, 1 across; 8×8 images zoomed 2×
        assertUserError(run("experiment", "paths", "--data", "fashion-mnist", "--test", "21", "--steps", "1", "--out", exp.toString()),
                "more than the 20 test images");
    }

    /** --dropout: shown in the log, kept by the checkpoint (a --resume without it is refused in flags), bad values refused. */
    @Test
    void dropoutTrainsAndResumesWithTheSameValueOnly() {
        Path out = dir.resolve("drop");
        String[] common = {"train", "--data", "fashion-mnist", "--model", "unet", "--channels", "4,8", "--groups", "2",
                "--batch", "4", "--threads", "2", "--samples", "0", "--out", out.toString()};
        CliTest.Run t = run(concat(common, "--steps", "2", "--dropout", "0.2"));
        assertEquals(0, t.code(), t.err());
        assertTrue(t.err().contains("U-Net 4,8, dropout 0.2"), t.err());
        assertUserError(run(concat(common, "--steps", "3", "--resume")), "was trained with --dropout 0.2; resume it with the same --dropout (got 0.0)");
        CliTest.Run r = run(concat(common, "--steps", "3", "--resume", "--dropout", "0.2"));
        assertEquals(0, r.code(), r.err());
        assertUserError(run(concat(common, "--steps", "1", "--dropout", "1")), "--dropout must be in [0, 1), got 1.0");
        assertUserError(run("train", "--data", "checkerboard", "--steps", "1", "--dropout", "0.1", "--out", dir.resolve("m").toString()),
                "--dropout applies to --model unet only");
    }

    @Test
    void badImageOptionsAreUserErrors() {
        assertUserError(run("train", "--data", "checkerboard", "--model", "unet", "--steps", "1", "--out", dir.resolve("x").toString()),
                "needs image data");
        assertUserError(run("train", "--data", "fashion-mnist", "--model", "unet", "--channels", "4,8,8,8,8", "--steps", "1",
                "--out", dir.resolve("x").toString()), "cannot be halved");
        assertUserError(run("train", "--data", "fashion-mnist", "--model", "convnet", "--steps", "1"), "unknown --model");
        assertUserError(run("train", "--data", "fashion-mnist", "--model", "unet", "--backend", "nope", "--steps", "1",
                "--out", dir.resolve("x").toString()), "unknown --backend");
        assertUserError(run("train", "--conditional", "--steps", "1", "--out", dir.resolve("x").toString()), "--conditional needs --model unet");
    }

    static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
