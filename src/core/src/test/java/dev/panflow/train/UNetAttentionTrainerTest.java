package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.api.Flow;
import dev.panflow.api.SampleRequest;
import dev.panflow.data.FashionMnist;
import dev.panflow.io.Safetensors;
import dev.panflow.io.SafetensorsFile;
import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CFM trainer with a U-Net that has the mid self-attention block, on UNetTrainerTest's tiny 8×8 set (mid resolution 4×4). */
class UNetAttentionTrainerTest {
    static final ModelSpec SPEC = new ModelSpec("unet", new int[] {4, 8}, 2, true, 0.2f, 0f, 2);

    @Test
    void lossGoesDown(@TempDir Path dir) throws Exception {
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena);
            try (CfmTrainer tr = new CfmTrainer(UNetTrainerTest.cfg(60), SPEC, data, Paths.byName("ot"), pool, conv)) {
                double first = 0, last = 0;
                for (int i = 0; i < 60; i++) {
                    double l = tr.trainStep();
                    if (i < 10) first += l / 10;
                    if (i >= 50) last += l / 10;
                }
                assertTrue(last < 0.8 * first, "loss " + first + " -> " + last);
                // the block learnt something: proj is no longer zero
                var proj = tr.model.params().views(tr.model.params().values(), "").get("net.mid_attention.proj.weight");
                assertTrue(dev.panflow.kernels.Elementwise.sumSquares(proj.segment(), proj.size()) > 0, "proj stayed at zero");
            }
        }
    }

    /** One kernel thread or two: the same weights bit for bit (batch 64: the attention slots split over the pool). */
    @Test
    void threadCountLeavesTheBits(@TempDir Path dir) throws Exception {
        TrainConfig c64 = new TrainConfig("fashion-mnist", "ot", 32, 2, "sinusoidal", 4, 64, 3, 3e-3f, LrSchedule.COSINE, 1, 0f, 0.9f, 1f, 3, 0,
                TimeSampling.LOGIT_NORMAL, 0f);
        float[][] weights = new float[2][];
        try (Arena arena = Arena.ofShared()) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena);
            for (int threads = 1; threads <= 2; threads++)
                try (Pool pool = new Pool(threads); JvmConv conv = new JvmConv(pool);
                     CfmTrainer t = new CfmTrainer(c64, SPEC, data, Paths.byName("ot"), pool, conv)) {
                    for (int i = 0; i < 3; i++) t.trainStep();
                    weights[threads - 1] = t.model.params().values().toArray();
                }
        }
        assertArrayEquals(weights[0], weights[1]);
    }

    /** The checkpoint records the heads; resuming from it is bit for bit; Flow rebuilds the block from it and samples. */
    @Test
    void checkpointRoundTrip(@TempDir Path dir) throws Exception {
        Path ckpt = dir.resolve("model.safetensors");
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena);
            float[] straight;
            try (CfmTrainer a = new CfmTrainer(UNetTrainerTest.cfg(6), SPEC, data, Paths.byName("ot"), pool, conv)) {
                for (int i = 0; i < 6; i++) a.trainStep();
                straight = a.model.params().values().toArray();
            }
            try (CfmTrainer b = new CfmTrainer(UNetTrainerTest.cfg(6), SPEC, data, Paths.byName("ot"), pool, conv)) {
                for (int i = 0; i < 3; i++) b.trainStep();
                Checkpoint.save(b, ckpt);
            }
            try (CfmTrainer c = new CfmTrainer(UNetTrainerTest.cfg(6), SPEC, data, Paths.byName("ot"), pool, conv)) {
                Checkpoint.restore(c, ckpt);
                while (c.step() < 6) c.trainStep();
                assertArrayEquals(straight, c.model.params().values().toArray());
            }
            try (Arena a = Arena.ofConfined()) {
                Checkpoint.Model m = Checkpoint.readModel(ckpt, a, true);
                assertEquals(SPEC, m.spec());
                assertEquals(2, m.unetConfig().attentionHeads());
                assertTrue(m.weights().containsKey("net.mid_attention.qkv.weight"));
            }
        }
        try (Flow f = Flow.load(ckpt)) {
            float[][] x = f.sample(SampleRequest.of(3).steps(2).seed(1).classLabel(1));
            assertEquals(64, x[0].length);
            for (float[] row : x) for (float v : row) assertTrue(Float.isFinite(v));
        }
    }

    /** A U-Net checkpoint written before attention existed (no unet_attention_heads key) loads as a U-Net without it. */
    @Test
    void oldCheckpointLoadsWithoutAttention(@TempDir Path dir) throws Exception {
        Path ckpt = dir.resolve("model.safetensors"), old = dir.resolve("old.safetensors");
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(1); JvmConv conv = new JvmConv(pool)) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena);
            try (CfmTrainer b = new CfmTrainer(UNetTrainerTest.cfg(4), UNetTrainerTest.SPEC, data, Paths.byName("ot"), pool, conv)) {
                for (int i = 0; i < 2; i++) b.trainStep();
                Checkpoint.save(b, ckpt);
            }
            SafetensorsFile f = Safetensors.read(ckpt, arena);
            assertEquals("0", f.metadata().get("unet_attention_heads"));
            Map<String, String> meta = new LinkedHashMap<>(f.metadata());
            meta.remove("unet_attention_heads");
            Safetensors.write(old, f.tensors(), meta);
            try (Arena a = Arena.ofConfined()) {
                Checkpoint.Model m = Checkpoint.readModel(old, a, true);
                assertEquals(0, m.spec().attentionHeads());
                assertEquals(UNetTrainerTest.SPEC, m.spec());
            }
            try (CfmTrainer c = new CfmTrainer(UNetTrainerTest.cfg(4), UNetTrainerTest.SPEC, data, Paths.byName("ot"), pool, conv)) {
                Checkpoint.restore(c, old);   // resume accepts it: the same (attention-free) model
                assertEquals(2, c.step());
            }
        }
        try (Flow f = Flow.load(old)) {
            assertEquals(64, f.sample(SampleRequest.of(2).steps(2).seed(1).classLabel(0))[0].length);
        }
    }

    /** MeanFlow differentiates the U-Net forward (UNet.jvp) through the block: it trains with finite losses. */
    @Test
    void meanFlowTrains(@TempDir Path dir) throws Exception {
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena);
            try (CfmTrainer tr = new CfmTrainer(UNetTrainerTest.cfg(30), SPEC, data, Paths.byName("ot"), pool, conv,
                    dev.panflow.dist.Collective.SINGLE, Objective.MEANFLOW)) {
                double first = 0, last = 0;
                for (int i = 0; i < 30; i++) {
                    double l = tr.trainStep();
                    assertTrue(Double.isFinite(l), "step " + i + ": loss " + l);
                    if (i < 5) first += l;
                    if (i >= 25) last += l;
                }
                assertTrue(last < first, "loss over the first 5 steps " + first / 5 + ", the last 5 " + last / 5);
            }
        }
    }
}
