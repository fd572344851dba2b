package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MeanFlow with a (class-conditional) U-Net: the loss falls on a tiny set, and the checkpoint samples in one step. */
class UNetMeanFlowTest {
    @Test
    void meanFlowUNetTrainsAndSamplesInOneStep(@TempDir Path dir) throws Exception {
        Path ckpt = dir.resolve("model.safetensors");
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena);
            try (CfmTrainer tr = new CfmTrainer(UNetTrainerTest.cfg(60), UNetTrainerTest.SPEC, data, Paths.byName("ot"), pool, conv,
                    dev.panflow.dist.Collective.SINGLE, Objective.MEANFLOW)) {
                assertArrayEquals(new int[] {2 * 2 * 4, 16}, tr.model.params().views(tr.model.params().values(), "").get("net.time.0.weight").shape(),
                        "emb(t) and emb(h) side by side into the time MLP");
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
            assertEquals("meanflow", f.objective());
            float[][] x = f.sample(SampleRequest.of(5).steps(1).seed(3).classLabel(1));
            assertEquals(5, x.length);
            assertEquals(64, x[0].length);
            for (float[] row : x) for (float v : row) assertTrue(Float.isFinite(v));
            assertArrayEquals(x[2], f.sample(SampleRequest.of(5).steps(1).seed(3).classLabel(1))[2], "seeded");
            assertThrows(UserError.class, () -> f.logLikelihood(new float[][] {new float[64]}));
            // A server's merged batch takes the same one-step jump per request (it had integrated the jump as a velocity field).
            var batch = f.sampleBatch(java.util.List.of(SampleRequest.of(5).steps(1).seed(3).classLabel(1), SampleRequest.of(2).steps(1).seed(4)));
            assertArrayEquals(x[2], batch.get(0).rows()[2], "sampleBatch = sample");
            assertEquals(1, batch.get(0).nfe());
        }
    }
}
