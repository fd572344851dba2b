package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.InvalidParameterException;
import dev.panflow.data.FashionMnist;
import dev.panflow.io.Safetensors;
import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.UNet;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dropout in U-Net training: p = 0 is the trainer without it, bit for bit; p &gt; 0 changes the
 * training but not a pass outside training; its masks depend on neither the threads nor a
 * resume; a checkpoint records it, and a resume with another p is refused.
 */
class UNetDropoutTest {
    static ModelSpec spec(float dropout) { return new ModelSpec("unet", new int[] {4, 8}, 2, true, 0.2f, dropout, 0); }

    static TrainConfig cfg(long steps, int batch) {
        return new TrainConfig("fashion-mnist", "ot", 32, 2, "sinusoidal", 4, batch, steps, 3e-3f, LrSchedule.COSINE, 1, 0f, 0.9f, 1f, 3, 0,
                TimeSampling.LOGIT_NORMAL, 0f);
    }

    static float[] train(FashionMnist data, ModelSpec spec, int threads, int batch, int steps) {
        try (Pool pool = new Pool(threads); JvmConv conv = new JvmConv(pool);
             CfmTrainer t = new CfmTrainer(cfg(steps, batch), spec, data, Paths.byName("ot"), pool, conv)) {
            for (int i = 0; i < steps; i++) t.trainStep();
            return t.model.params().values().toArray();
        }
    }

    @Test
    void zeroIsNoDropoutBitForBitAndOtherValuesChangeTraining(@TempDir Path dir) throws Exception {
        try (Arena arena = Arena.ofShared()) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena);
            float[] none = train(data, UNetTrainerTest.SPEC, 2, 8, 3), zero = train(data, spec(0f), 2, 8, 3), some = train(data, spec(0.3f), 2, 8, 3);
            assertArrayEquals(none, zero);
            assertFalse(Arrays.equals(none, some), "dropout 0.3 trained the same weights as none");
        }
    }

    /** One kernel thread or two (batch 64: the masks' images split over the pool): the same weights bit for bit. */
    @Test
    void threadCountLeavesTheBits(@TempDir Path dir) throws Exception {
        try (Arena arena = Arena.ofShared()) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena);
            assertArrayEquals(train(data, spec(0.2f), 1, 64, 3), train(data, spec(0.2f), 2, 64, 3));
        }
    }

    @Test
    void resumeIsBitForBitAndKeepsTheDropout(@TempDir Path dir) throws Exception {
        ModelSpec s = spec(0.2f);
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena);
            float[] straight, ema;
            try (CfmTrainer a = new CfmTrainer(cfg(6, 8), s, data, Paths.byName("ot"), pool, conv)) {
                for (int i = 0; i < 6; i++) a.trainStep();
                straight = a.model.params().values().toArray();
                ema = a.ema.weights().toArray();
            }
            Path ckpt = dir.resolve("model.safetensors");
            try (CfmTrainer b = new CfmTrainer(cfg(6, 8), s, data, Paths.byName("ot"), pool, conv)) {
                for (int i = 0; i < 3; i++) b.trainStep();
                Checkpoint.save(b, ckpt);
            }
            try (CfmTrainer c = new CfmTrainer(cfg(6, 8), s, data, Paths.byName("ot"), pool, conv)) {
                Checkpoint.restore(c, ckpt);
                while (c.step() < 6) c.trainStep();
                assertArrayEquals(straight, c.model.params().values().toArray());
                assertArrayEquals(ema, c.ema.weights().toArray());
            }
            try (Arena a = Arena.ofConfined()) {
                assertEquals(0.2f, Checkpoint.readModel(ckpt, a, true).spec().dropout());
                assertEquals("0.2", Safetensors.read(ckpt, a).metadata().get("dropout"));
            }
            for (float other : new float[] {0f, 0.1f})
                try (CfmTrainer d = new CfmTrainer(cfg(6, 8), spec(other), data, Paths.byName("ot"), pool, conv)) {
                    InvalidParameterException e = assertThrows(InvalidParameterException.class, () -> Checkpoint.restore(d, ckpt));
                    assertEquals("dropout", e.parameter());
                    assertTrue(e.getMessage().contains("was trained with dropout 0.2; resume it with the same dropout (got " + other + ")"), e.getMessage());
                }
        }
    }

    /** Dropout and the mid self-attention together: one thread or two and a resume leave the bits; the checkpoint keeps both. */
    @Test
    void withAttentionTheBitsAndTheCheckpointKeepBoth(@TempDir Path dir) throws Exception {
        ModelSpec s = new ModelSpec("unet", new int[] {4, 8}, 2, true, 0.2f, 0.2f, 2);
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena);
            float[] straight = train(data, s, 1, 64, 4);
            assertArrayEquals(straight, train(data, s, 2, 64, 4));
            assertFalse(Arrays.equals(straight, train(data, spec(0.2f), 1, 64, 4)), "attention trained the same weights as none");
            Path ckpt = dir.resolve("both.safetensors");
            try (CfmTrainer b = new CfmTrainer(cfg(4, 64), s, data, Paths.byName("ot"), pool, conv)) {
                for (int i = 0; i < 2; i++) b.trainStep();
                Checkpoint.save(b, ckpt);
            }
            try (CfmTrainer c = new CfmTrainer(cfg(4, 64), s, data, Paths.byName("ot"), pool, conv)) {
                Checkpoint.restore(c, ckpt);
                while (c.step() < 4) c.trainStep();
                assertArrayEquals(straight, c.model.params().values().toArray());
            }
            try (Arena a = Arena.ofConfined()) {
                assertEquals(s, Checkpoint.readModel(ckpt, a, true).spec());
            }
        }
    }

    /** A file without the key (every file from before dropout, and every p = 0 run) reads as p = 0. */
    @Test
    void zeroIsNotWrittenAndAMissingKeyReadsAsZero(@TempDir Path dir) throws Exception {
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(1); JvmConv conv = new JvmConv(pool)) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena);
            Path ckpt = dir.resolve("model.safetensors");
            try (CfmTrainer b = new CfmTrainer(cfg(2, 8), spec(0f), data, Paths.byName("ot"), pool, conv)) {
                b.trainStep();
                Checkpoint.save(b, ckpt);
            }
            try (Arena a = Arena.ofConfined()) {
                assertFalse(Safetensors.read(ckpt, a).metadata().containsKey("dropout"));
                assertEquals(0f, Checkpoint.readModel(ckpt, a, true).spec().dropout());
            }
            try (CfmTrainer d = new CfmTrainer(cfg(2, 8), spec(0.1f), data, Paths.byName("ot"), pool, conv)) {
                assertEquals("dropout", assertThrows(InvalidParameterException.class, () -> Checkpoint.restore(d, ckpt)).parameter());
            }
        }
    }

    /** After training with dropout, a pass outside training (as sampling runs it) is that of the same weights in a U-Net without dropout. */
    @Test
    void passesOutsideTrainingIgnoreTheDropout(@TempDir Path dir) throws Exception {
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool); Workspace ws = new Workspace()) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena);
            try (CfmTrainer t = new CfmTrainer(cfg(3, 8), spec(0.3f), data, Paths.byName("ot"), pool, conv)) {
                for (int i = 0; i < 3; i++) t.trainStep();
                UNet trained = (UNet) t.model;
                assertEquals(0.3f, trained.dropout());
                UNet plain = new UNet(trained.config, conv, pool, ws);
                plain.params().values().copyFrom(trained.params().values());
                int n = 4, dim = trained.dim();
                plain.reserve(n);
                Tensor x = ws.tensor(n, dim), time = ws.tensor(n);
                t.rng.fillGaussian(x.segment(), x.size(), 1f);
                t.rng.fillUniform(time.segment(), n, 0f, 1f);
                int[] labels = {0, 1, 2, FashionMnist.CLASSES};
                float[] a = copy(trained.forward(x.segment(), time.segment(), labels, n), n * dim);
                float[] b = copy(plain.forward(x.segment(), time.segment(), labels, n), n * dim);
                assertArrayEquals(b, a, "sampling a model trained with dropout");
                trained.trainingPass(4, 0);
                float[] dropped = copy(trained.forward(x.segment(), time.segment(), labels, n), n * dim);
                assertFalse(Arrays.equals(a, dropped), "a training pass dropped nothing");
                assertArrayEquals(a, copy(trained.forward(x.segment(), time.segment(), labels, n), n * dim), "the training pass leaked into the next one");
            }
        }
    }

    /** Meanflow (forward + JVP of the training pass) and shortcut train with dropout: finite, and not the run without it. */
    @Test
    void fewStepObjectivesTrainWithDropout(@TempDir Path dir) throws Exception {
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena);
            for (Objective o : new Objective[] {Objective.MEANFLOW, Objective.SHORTCUT}) {
                float[][] w = new float[2][];
                for (int k = 0; k < 2; k++)
                    try (CfmTrainer t = new CfmTrainer(cfg(2, 8), spec(k == 0 ? 0f : 0.3f), data, Paths.byName("ot"), pool, conv,
                            dev.panflow.dist.Collective.SINGLE, o)) {
                        for (int i = 0; i < 2; i++) assertTrue(Double.isFinite(t.trainStep()), o.id);
                        w[k] = t.model.params().values().toArray();
                    }
                assertFalse(Arrays.equals(w[0], w[1]), o.id + ": dropout 0.3 trained the same weights as none");
            }
        }
    }

    @Test
    void badValuesAreRefused() {
        for (float p : new float[] {-0.5f, 1f, Float.NaN})
            assertEquals("dropout", assertThrows(InvalidParameterException.class, () -> spec(p)).parameter());
        InvalidParameterException e = assertThrows(InvalidParameterException.class,
                () -> new ModelSpec("mlp", new int[0], 0, false, 0f, 0.1f, 0));
        assertEquals("dropout", e.parameter());
    }

    static float[] copy(MemorySegment s, int n) {
        float[] out = new float[n];
        MemorySegment.copy(s, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0, out, 0, n);
        return out;
    }
}
