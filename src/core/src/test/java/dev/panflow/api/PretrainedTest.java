package dev.panflow.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.data.Checkerboard;
import dev.panflow.io.Json;
import dev.panflow.io.Safetensors;
import dev.panflow.io.SafetensorsFile;
import dev.panflow.tensor.Tensor;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checkpoints that ship with Panflow: present, unchanged, loadable, good, and readable by Python. */
class PretrainedTest {
    /** /usr/bin/python3, or -Dpanflow.python=PATH (e.g. a venv with the safetensors package). */
    static final Path PYTHON = Path.of(System.getProperty("panflow.python", "/usr/bin/python3"));

    static byte[] resource(Pretrained p) throws Exception {
        try (InputStream in = Pretrained.class.getResourceAsStream(p.resource())) {
            assertNotNull(in, p.resource() + " is not on the class path");
            return in.readAllBytes();
        }
    }

    @Test
    void everyShippedFileHasItsRecordedHashAndAFlippedByteIsRefused() throws Exception {
        for (Pretrained p : Pretrained.values()) {
            byte[] bytes = resource(p);
            assertTrue(bytes.length < 4_000_000, p + " is " + bytes.length + " bytes");
            String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            assertEquals(p.sha256(), hex, p.id());
            assertArrayEquals(bytes, p.verifiedBytes());
            bytes[bytes.length - 5] ^= 1; // one bit of the last weight
            UserError e = assertThrows(UserError.class, () -> p.verified(bytes));
            assertTrue(e.getMessage().contains("damaged"), e.getMessage());
        }
    }

    @Test
    void namesAreCheckedAndListed() {
        assertEquals(Pretrained.FASHION_MNIST, Pretrained.byName("fashion-mnist"));
        assertEquals(Pretrained.CHECKERBOARD, Pretrained.byName("Checkerboard"));
        InvalidParameterException e = assertThrows(InvalidParameterException.class, () -> Flow.loadPretrained("mnist"));
        assertEquals("pretrained", e.parameter());
        assertTrue(e.getMessage().contains("'mnist'") && e.getMessage().contains("checkerboard or fashion-mnist"), e.getMessage());
        assertThrows(InvalidParameterException.class, () -> Pretrained.byName(null));
    }

    @Test
    @Tag("slow") // 2000 points × 40 NFE of a 256×3 MLP
    void checkerboardSamplesFallOnTheSquares() {
        try (Flow flow = Flow.loadPretrained("checkerboard", LoadOptions.defaults().threads(2).maxConcurrentCalls(1))) {
            ModelInfo info = flow.info();
            assertEquals("mlp", info.kind());
            assertEquals("checkerboard", info.data());
            assertTrue(info.ema());
            assertNull(info.file());
            int n = 2000;
            float[][] x = flow.sample(SampleRequest.of(n).solver("rk4").steps(10).seed(1));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment seg = a.allocate(8L * n, 64);
                for (int i = 0; i < n; i++) MemorySegment.copy(x[i], 0, seg, ValueLayout.JAVA_FLOAT, 8L * i, 2);
                double on = Checkerboard.onFraction(seg, n);
                assertTrue(on > 0.9, "on-square fraction " + on); // 0.924 measured with Euler 100 (README)
            }
        }
    }

    @Test
    @Tag("slow") // a U-Net
    void fashionMnistFollowsItsClass() {
        try (Flow flow = Flow.loadPretrained("fashion-mnist", LoadOptions.defaults().threads(2).maxConcurrentCalls(1))) {
            ModelInfo info = flow.info();
            assertEquals("unet", info.kind());
            assertArrayEquals(new int[] {1, 28, 28}, info.imageShape());
            assertEquals(10, info.classes());
            // the same noise for a trouser (1) and a bag (8): the class must change the image
            SampleRequest req = SampleRequest.of(2).solver("euler").steps(6).seed(4);
            float[][] trousers = flow.sample(req.classLabel(1)), bags = flow.sample(req.classLabel(8));
            double diff = 0;
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 784; j++) {
                    for (float v : new float[] {trousers[i][j], bags[i][j]})
                        assertTrue(Float.isFinite(v) && Math.abs(v) < 2, "pixel " + v);
                    diff += Math.abs(trousers[i][j] - bags[i][j]);
                }
            assertTrue(diff / (2 * 784) > 0.1, "trousers and bags differ by only " + diff / (2 * 784) + " per pixel");
        }
    }

    /**
     * Python reads the shipped files: the {@code safetensors} package where installed, else its
     * format parsed with the standard library (the script says which); both must give Java's
     * metadata, names, shapes and sums. Skipped only where the Python (/usr/bin/python3 unless
     * -Dpanflow.python says otherwise) is absent.
     */
    @Test
    @Tag("slow") // a child process
    void pythonReadsTheShippedFiles(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON), "no " + PYTHON + " on this machine");
        Path script = dir.resolve("read_safetensors.py");
        try (InputStream in = PretrainedTest.class.getResourceAsStream("read_safetensors.py")) {
            Files.write(script, in.readAllBytes());
        }
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), script.toString()));
        for (Pretrained p : Pretrained.values()) {
            Path f = dir.resolve(p.id() + ".safetensors");
            Files.write(f, p.verifiedBytes());
            cmd.add(f.toString());
        }
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "python did not finish");
        assertEquals(0, proc.exitValue(), out);
        String[] lines = out.strip().split("\n");
        assertEquals(Pretrained.values().length, lines.length, out);
        for (int i = 0; i < lines.length; i++) {
            Pretrained p = Pretrained.values()[i];
            Map<?, ?> got = (Map<?, ?>) Json.parse(lines[i]);
            System.out.println(p.id() + ": read by Python's " + got.get("reader") + " reader");
            try (Arena a = Arena.ofConfined()) {
                SafetensorsFile want = Safetensors.read(p.id(), p.verifiedBytes(), a);
                assertEquals(want.metadata(), got.get("metadata"), p.id());
                Map<?, ?> tensors = (Map<?, ?>) got.get("tensors");
                assertEquals(want.tensors().keySet(), tensors.keySet(), p.id());
                for (var e : want.tensors().entrySet()) {
                    Map<?, ?> t = (Map<?, ?>) tensors.get(e.getKey());
                    Tensor w = e.getValue();
                    assertEquals("float32", t.get("dtype"));
                    List<?> shape = (List<?>) t.get("shape");
                    assertEquals(w.rank(), shape.size(), e.getKey());
                    for (int d = 0; d < w.rank(); d++) assertEquals(w.dim(d), ((Number) shape.get(d)).intValue(), e.getKey());
                    assertEquals(w.size(), ((Number) t.get("n")).longValue(), e.getKey());
                    double sum = 0, abs = 0;
                    for (long k = 0; k < w.size(); k++) {
                        sum += w.get(k);
                        abs += Math.abs(w.get(k));
                    }
                    assertEquals(sum, ((Number) t.get("sum")).doubleValue(), 1e-9 * abs + 1e-12, e.getKey());
                }
            }
        }
    }
}
