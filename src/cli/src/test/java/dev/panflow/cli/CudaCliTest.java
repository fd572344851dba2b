package dev.panflow.cli;

import static dev.panflow.cli.CliTest.assertUserError;
import static dev.panflow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import dev.panflow.cuda.Gpu;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --backend: where there is no GPU, one clear error line; where there is one, train there and sample on both backends. */
class CudaCliTest {
    private static boolean gpuHere() {
        try (Gpu g = Gpu.open(null)) {
            return true;
        } catch (UserError e) {
            return false;
        }
    }

    @Test
    void unknownBackendIsRefused(@TempDir Path dir) {
        assertUserError(run("train", "--backend", "tpu", "--steps", "1", "--out", dir.toString()), "unknown --backend 'tpu'");
        // flags are checked before files: the bad backend is named even though the model is missing too
        assertUserError(run("sample", "--backend", "tpu", "--model", dir.resolve("none").toString()), "unknown --backend 'tpu'");
        assertUserError(run("sample", "--backend", "cuda", "--model", dir.resolve("none").toString()), "no model file");
    }

    @Test
    void cudaBackendTrainsOrSaysWhyNot(@TempDir Path dir) {
        Path out = dir.resolve("run");
        CliTest.Run t = run("train", "--backend", "cuda", "--hidden", "32", "--layers", "2", "--batch", "128", "--steps", "60",
                "--samples", "500", "--sample-steps", "10", "--out", out.toString());
        if (!gpuHere()) {
            assertUserError(t, "CUDA");
            assertTrue(t.err().lines().filter(l -> l.startsWith("panflow: error:")).count() == 1, t.err());
            return;
        }
        assertEquals(0, t.code(), t.err());
        assertTrue(t.err().contains("backend: cuda"), t.err());
        assertTrue(t.out().contains("on-square fraction"), t.out());
        String model = out.resolve("model.safetensors").toString();
        // the checkpoint is the JVM's format: it samples on both backends
        CliTest.Run jvm = run("sample", "--model", model, "--n", "300", "--steps", "5", "--out", dir.resolve("a.npy").toString());
        assertEquals(0, jvm.code(), jvm.err());
        CliTest.Run gpu = run("sample", "--backend", "cuda", "--model", model, "--n", "300", "--steps", "5", "--out",
                dir.resolve("b.npy").toString());
        assertEquals(0, gpu.code(), gpu.err());
        assertTrue(Files.exists(dir.resolve("b.npy")));
        assertUserError(run("sample", "--backend", "cuda", "--solver", "dopri5", "--model", model), "dopri5");
    }

    @Test
    void unetOnCudaTrainsWithCudnnConvolutionsOrSaysWhyNot(@TempDir Path dir) throws Exception {
        ImageCliTest.writeFakeFashionMnist(dir); // a tiny stand-in for Fashion-MNIST (8×8 images)
        System.setProperty(dev.panflow.data.FashionMnist.DIR_PROPERTY, dir.toString());
        try {
            String[] train = {"train", "--data", "fashion-mnist", "--model", "unet", "--channels", "4,8", "--groups", "2",
                    "--batch", "4", "--steps", "3", "--samples", "4", "--sample-steps", "2", "--threads", "2"};
            CliTest.Run gpu = run(ImageCliTest.concat(train, "--backend", "cuda", "--out", dir.resolve("gpu").toString()));
            if (!gpuHere()) {
                assertUserError(gpu, "not found"); // the CUDA library that is missing, in one line
                return;
            }
            assertEquals(0, gpu.code(), gpu.err());
            assertTrue(gpu.err().contains("convolutions run on the GPU (cuDNN"), gpu.err());
            assertTrue(Files.exists(dir.resolve("gpu").resolve("samples.png")));
            CliTest.Run jvm = run(ImageCliTest.concat(train, "--out", dir.resolve("jvm").toString()));
            assertEquals(0, jvm.code(), jvm.err());
            // same seed, same data: the loss of step 3 (forward through cuDNN vs JVM convolutions) agrees
            double a = finalLoss(gpu.out()), b = finalLoss(jvm.out());
            assertTrue(Math.abs(a - b) <= 1e-3 * Math.abs(b), "final loss cuda " + a + " vs jvm " + b);
            CliTest.Run s = run("sample", "--backend", "cuda", "--model", dir.resolve("gpu").resolve("model.safetensors").toString(),
                    "--n", "4", "--steps", "2", "--out", dir.resolve("s.npy").toString());
            assertEquals(0, s.code(), s.err());
        } finally {
            System.clearProperty(dev.panflow.data.FashionMnist.DIR_PROPERTY);
        }
    }

    private static double finalLoss(String out) {
        var m = java.util.regex.Pattern.compile("final loss ([0-9.eE+-]+)").matcher(out);
        assertTrue(m.find(), out);
        return Double.parseDouble(m.group(1));
    }
}
