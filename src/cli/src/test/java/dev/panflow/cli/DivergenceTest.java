package dev.panflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.Datasets;
import dev.panflow.io.Npy;
import dev.panflow.io.Safetensors;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Tensor;
import dev.panflow.train.CfmTrainer;
import dev.panflow.train.Checkpoint;
import dev.panflow.train.LrSchedule;
import dev.panflow.train.TimeSampling;
import dev.panflow.train.TrainConfig;
import dev.panflow.train.TrainingDiverged;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run whose loss stops being finite ends with a message naming step and causes, and keeps the last good checkpoint. */
class DivergenceTest {
    @Test
    void extremeRowInTheDataStopsTheRunAndKeepsTheLastCheckpoint(@TempDir Path dir) throws Exception {
        // 1000 ordinary rows and one at 1e30: its squared error overflows float32 in whichever batch draws it
        float[] v = new float[2000];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        v[1234] = 1e30f;
        Path data = dir.resolve("d.npy"), out = dir.resolve("run");
        try (Arena a = Arena.ofConfined()) {
            Npy.write(data, Tensor.of(a, v, 1000, 2));
        }
        CliTest.Run run = CliTest.run("train", "--data", data.toString(), "--hidden", "16", "--layers", "1", "--batch", "64",
                "--steps", "2000", "--checkpoint-every", "3", "--samples", "0", "--threads", "1", "--out", out.toString());
        CliTest.assertUserError(run, "or the data has extreme values");
        Matcher m = Pattern.compile("at step (\\d+).*the last good checkpoint \\(step (\\d+)\\) is kept").matcher(run.err());
        assertTrue(m.find(), run.err());
        long failed = Long.parseLong(m.group(1)), kept = Long.parseLong(m.group(2));
        assertTrue(failed > 3, "diverged too early to test the checkpoint: " + run.err());
        assertEquals((failed - 1) / 3 * 3, kept, "the last checkpoint before the failing step");
        try (Arena a = Arena.ofConfined()) {
            var f = Safetensors.read(out.resolve("model.safetensors"), a);
            for (var e : f.tensors().entrySet())
                for (float x : e.getValue().toArray()) assertTrue(Float.isFinite(x), e.getKey() + " has " + x);
        }
    }

    @Test
    void nonFiniteWeightsAreNeverSaved(@TempDir Path dir) throws Exception {
        TrainConfig cfg = new TrainConfig("moons", "ot", 8, 1, "concat", 1, 16, 10, 1e-3f, LrSchedule.CONSTANT, 0, 0f, 0.9f, 0f, 1, 0,
                TimeSampling.UNIFORM, 0f);
        Path ckpt = dir.resolve("model.safetensors");
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(1);
             CfmTrainer tr = new CfmTrainer(cfg, Datasets.open("moons", arena), Paths.byName("ot"), pool)) {
            tr.trainStep();
            Checkpoint.save(tr, ckpt);
            byte[] good = Files.readAllBytes(ckpt);
            tr.trainStep();
            tr.mlp.params().values().set(3, Float.POSITIVE_INFINITY); // an update that overflowed
            TrainingDiverged e = assertThrows(TrainingDiverged.class, () -> Checkpoint.save(tr, ckpt));
            assertTrue(e.getMessage().contains("at step 2") && e.getMessage().contains("lr 0.001") && e.getMessage().contains("not overwritten"),
                    e.getMessage());
            assertEquals(java.util.List.of("lr"), e.parameters()); // the CLI shows it as --lr
            assertTrue(java.util.Arrays.equals(good, Files.readAllBytes(ckpt)), "the good checkpoint was changed");
        }
    }
}
