package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.FashionMnist;
import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CFM trainer with a conditional U-Net: bit-exact resume, and the loss goes down on a tiny set. */
class UNetTrainerTest {
    static final ModelSpec SPEC = new ModelSpec("unet", new int[] {4, 8}, 2, true, 0.2f);

    static TrainConfig cfg(long steps) {
        return new TrainConfig("fashion-mnist", "ot", 32, 2, "sinusoidal", 4, 8, steps, 3e-3f, LrSchedule.COSINE, 2, 0f, 0.9f, 1f, 3, 0, TimeSampling.LOGIT_NORMAL, 0f);
    }

    static FashionMnist tinySet(Path dir, Arena arena) throws Exception {
        int n = 12;
        byte[] px = new byte[n * 64], lab = new byte[n];
        for (int i = 0; i < n; i++) {
            lab[i] = (byte) (i % 3);
            for (int p = 0; p < 64; p++) px[i * 64 + p] = (byte) ((p / 8) % 3 == lab[i] ? 230 : 20);
        }
        Files.write(dir.resolve("train-images-idx3-ubyte"), idx(new int[] {n, 8, 8}, px));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), idx(new int[] {n}, lab));
        return FashionMnist.load(dir, "train", arena);
    }

    static byte[] idx(int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        return b.put(data).array();
    }

    @Test
    void resumeIsBitForBit(@TempDir Path dir) throws Exception {
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            FashionMnist data = tinySet(dir, arena);
            float[] straight, ema;
            try (CfmTrainer a = new CfmTrainer(cfg(6), SPEC, data, Paths.byName("ot"), pool, conv)) {
                for (int i = 0; i < 6; i++) a.trainStep();
                straight = a.model.params().values().toArray();
                ema = a.ema.weights().toArray();
            }
            Path ckpt = dir.resolve("model.safetensors");
            try (CfmTrainer b = new CfmTrainer(cfg(6), SPEC, data, Paths.byName("ot"), pool, conv)) {
                for (int i = 0; i < 3; i++) b.trainStep();
                Checkpoint.save(b, ckpt);
            }
            try (CfmTrainer c = new CfmTrainer(cfg(6), SPEC, data, Paths.byName("ot"), pool, conv)) {
                Checkpoint.restore(c, ckpt);
                while (c.step() < 6) c.trainStep();
                assertArrayEquals(straight, c.model.params().values().toArray());
                assertArrayEquals(ema, c.ema.weights().toArray());
            }
            try (Arena a = Arena.ofConfined()) {
                Checkpoint.Model m = Checkpoint.readModel(ckpt, a, true);
                assertEquals(SPEC, m.spec());
                assertArrayEquals(new int[] {1, 8, 8}, m.imageShape());
                assertEquals(FashionMnist.CLASSES, m.classes());
            }
        }
    }

    /** One kernel thread or two: the same weights bit for bit (batch 64, so the group norms and SiLUs split). */
    @Test
    void threadCountLeavesTheBits(@TempDir Path dir) throws Exception {
        TrainConfig c64 = new TrainConfig("fashion-mnist", "ot", 32, 2, "sinusoidal", 4, 64, 3, 3e-3f, LrSchedule.COSINE, 1, 0f, 0.9f, 1f, 3, 0,
                TimeSampling.LOGIT_NORMAL, 0f);
        float[][] weights = new float[2][];
        try (Arena arena = Arena.ofShared()) {
            FashionMnist data = tinySet(dir, arena);
            for (int threads = 1; threads <= 2; threads++)
                try (Pool pool = new Pool(threads); JvmConv conv = new JvmConv(pool);
                     CfmTrainer t = new CfmTrainer(c64, SPEC, data, Paths.byName("ot"), pool, conv)) {
                    for (int i = 0; i < 3; i++) t.trainStep();
                    weights[threads - 1] = t.model.params().values().toArray();
                }
        }
        assertArrayEquals(weights[0], weights[1]);
    }

    /** A conditional model with OT pairing within each class over a coupling batch of 3 batches resumes bit for bit. */
    @Test
    void conditionalWithinClassOtOverACouplingBatchResumesBitForBit(@TempDir Path dir) throws Exception {
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            FashionMnist data = tinySet(dir, arena);
            var coupling = (java.util.function.Supplier<dev.panflow.coupling.Coupling>)
                    () -> dev.panflow.coupling.Coupling.byName("ot", 24, 64, 0.05, Double.POSITIVE_INFINITY);
            float[] straight;
            try (CfmTrainer a = new CfmTrainer(cfg(7), SPEC, data, Paths.byName("ot"), pool, conv)) {
                a.setCoupling(coupling.get(), 24);
                for (int i = 0; i < 7; i++) a.trainStep();
                straight = a.model.params().values().toArray();
            }
            Path ckpt = dir.resolve("model.safetensors");
            try (CfmTrainer b = new CfmTrainer(cfg(7), SPEC, data, Paths.byName("ot"), pool, conv)) {
                b.setCoupling(coupling.get(), 24);
                for (int i = 0; i < 4; i++) b.trainStep();
                Checkpoint.save(b, ckpt);
            }
            try (CfmTrainer c = new CfmTrainer(cfg(7), SPEC, data, Paths.byName("ot"), pool, conv)) {
                c.setCoupling(coupling.get(), 24);
                Checkpoint.restore(c, ckpt);
                while (c.step() < 7) c.trainStep();
                assertArrayEquals(straight, c.model.params().values().toArray());
            }
            try (CfmTrainer d = new CfmTrainer(cfg(7), SPEC, data, Paths.byName("ot"), pool, conv)) {
                assertThrows(IllegalArgumentException.class, () -> d.setCoupling(dev.panflow.coupling.Coupling.byName("ot", 8, 64)),
                        "a conditional model refuses a coupling made without classes");
            }
        }
    }

    @Test
    void lossGoesDown(@TempDir Path dir) throws Exception {
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            FashionMnist data = tinySet(dir, arena);
            try (CfmTrainer tr = new CfmTrainer(cfg(150), SPEC, data, Paths.byName("ot"), pool, conv)) {
                double first = 0, last = 0;
                for (int i = 0; i < 150; i++) {
                    double l = tr.trainStep();
                    if (i < 10) first += l / 10;
                    if (i >= 140) last += l / 10;
                }
                assertTrue(last < 0.7 * first, "loss " + first + " -> " + last);
            }
        }
    }
}
