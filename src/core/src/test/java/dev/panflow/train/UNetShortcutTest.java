package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import dev.panflow.api.Flow;
import dev.panflow.api.SampleRequest;
import dev.panflow.data.FashionMnist;
import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A shortcut model with a (class-conditional) U-Net: the loss falls on a tiny set, and the checkpoint samples in 1, 2 and 4 steps. */
@Tag("slow")
class UNetShortcutTest {
    @Test
    void shortcutUNetTrainsAndSamplesInPowerOfTwoSteps(@TempDir Path dir) throws Exception {
        Path ckpt = dir.resolve("model.safetensors");
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena);
            try (CfmTrainer tr = new CfmTrainer(UNetTrainerTest.cfg(60), UNetTrainerTest.SPEC, data, Paths.byName("ot"), pool, conv,
                    dev.panflow.dist.Collective.SINGLE, Objective.SHORTCUT)) {
                assertArrayEquals(new int[] {2 * 2 * 4, 16}, tr.model.params().views(tr.model.params().values(), "").get("net.time.0.weight").shape(),
                        "emb(t) and emb(d) side by side into the time MLP");
                double first = 0, last = 0;
                for (int i = 0; i < 60; i++) {
                    double l = tr.trainStep();
                    assertTrue(Double.isFinite(l), "step " + i + ": loss " + l);
                    if (i < 10) first += l;
                    if (i >= 50) last += l;
                }
                assertTrue(last < first, "loss over the first 10 steps " + first / 10 + ", the last 10 " + last / 10);
                Checkpoint.save(tr, ckpt);
            }
        }
        try (Flow f = Flow.load(ckpt)) {
            assertEquals("shortcut", f.objective());
            float[][] one = null;
            for (int steps : new int[] {1, 2, 4}) {
                float[][] x = f.sample(SampleRequest.of(5).steps(steps).seed(3).classLabel(1));
                assertEquals(5, x.length);
                assertEquals(64, x[0].length);
                for (float[] row : x) for (float v : row) assertTrue(Float.isFinite(v), steps + " steps");
                assertArrayEquals(x[2], f.sample(SampleRequest.of(5).steps(steps).seed(3).classLabel(1))[2], "seeded");
                if (one == null) one = x;
                else assertNotEquals(one[2][0], x[2][0], steps + " steps take other jumps than one");
            }
            assertThrows(UserError.class, () -> f.sample(SampleRequest.of(2).steps(3).seed(3).classLabel(1)), "3 is not a power of two");
            assertThrows(UserError.class, () -> f.logLikelihood(new float[][] {new float[64]}));
        }
    }
}
