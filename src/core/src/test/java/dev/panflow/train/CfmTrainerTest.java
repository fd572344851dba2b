package dev.panflow.train;

import dev.panflow.sampling.Sampler;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.ArrayDataSource;
import dev.panflow.data.Datasets;
import dev.panflow.data.EightGaussians;
import dev.panflow.kernels.Pool;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.Solvers;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CfmTrainerTest {
    static TrainConfig small(String data, String path, long steps, float lr) {
        return new TrainConfig(data, path, 32, 2, "sinusoidal", 4, 64, steps, lr, LrSchedule.COSINE, 5, 0f, 0.99f, 1f, 7, 0, TimeSampling.LOGIT_NORMAL, 1f);
    }

    @Test
    void resumeFromACheckpointIsBitForBitTheUninterruptedRun(@TempDir Path dir) {
        TrainConfig cfg = small("checkerboard", "ot", 20, 1e-3f);
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2)) {
            var data = Datasets.open("checkerboard", arena);
            float[] straight, ema;
            try (CfmTrainer a = new CfmTrainer(cfg, data, Paths.byName("ot"), pool)) {
                for (int i = 0; i < 20; i++) a.trainStep();
                straight = a.mlp.params().values().toArray();
                ema = a.ema.weights().toArray();
            }
            Path ckpt = dir.resolve("model.safetensors");
            try (CfmTrainer b = new CfmTrainer(cfg, data, Paths.byName("ot"), pool)) {
                for (int i = 0; i < 9; i++) b.trainStep();
                Checkpoint.save(b, ckpt);
                b.trainStep(); // work after the checkpoint is lost in a crash
            }
            try (CfmTrainer c = new CfmTrainer(cfg, data, Paths.byName("ot"), pool)) {
                Checkpoint.restore(c, ckpt);
                assertEquals(9, c.step());
                while (c.step() < 20) c.trainStep();
                assertArrayEquals(straight, c.mlp.params().values().toArray());
                assertArrayEquals(ema, c.ema.weights().toArray());
            }
        }
    }

    @Test
    void resumeWithSinkhornCouplingIsBitForBitTheUninterruptedRun(@TempDir Path dir) {
        TrainConfig cfg = small("checkerboard", "ot", 16, 1e-3f);
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2)) {
            var data = Datasets.open("checkerboard", arena);
            float[] straight;
            try (CfmTrainer a = new CfmTrainer(cfg, data, Paths.byName("ot"), pool)) {
                a.setCoupling(dev.panflow.coupling.Coupling.byName("sinkhorn", cfg.batch(), 2, 0.02));
                for (int i = 0; i < 16; i++) a.trainStep();
                straight = a.mlp.params().values().toArray();
            }
            try (CfmTrainer other = new CfmTrainer(cfg, data, Paths.byName("ot"), pool)) { // the coupling changes the run
                for (int i = 0; i < 16; i++) other.trainStep();
                assertTrue(!java.util.Arrays.equals(straight, other.mlp.params().values().toArray()));
            }
            Path ckpt = dir.resolve("model.safetensors");
            try (CfmTrainer b = new CfmTrainer(cfg, data, Paths.byName("ot"), pool)) {
                b.setCoupling(dev.panflow.coupling.Coupling.byName("sinkhorn", cfg.batch(), 2, 0.02));
                for (int i = 0; i < 7; i++) b.trainStep();
                Checkpoint.save(b, ckpt);
                b.trainStep();
            }
            try (CfmTrainer wrongReg = new CfmTrainer(cfg, data, Paths.byName("ot"), pool)) {
                wrongReg.setCoupling(dev.panflow.coupling.Coupling.byName("sinkhorn", cfg.batch(), 2, 0.05));
                var e = assertThrows(dev.panflow.InvalidParameterException.class, () -> Checkpoint.restore(wrongReg, ckpt));
                assertTrue(e.getMessage().contains("sinkhornReg 0.02"), e.getMessage());
                assertEquals("sinkhornReg", e.parameter());
            }
            try (CfmTrainer c = new CfmTrainer(cfg, data, Paths.byName("ot"), pool)) {
                c.setCoupling(dev.panflow.coupling.Coupling.byName("sinkhorn", cfg.batch(), 2, 0.02));
                Checkpoint.restore(c, ckpt);
                assertEquals(7, c.step());
                while (c.step() < 16) c.trainStep();
                assertArrayEquals(straight, c.mlp.params().values().toArray());
            }
        }
    }

    @Test
    void sameSeedSameNumbersAcrossThreadCounts() {
        TrainConfig cfg = small("moons", "vp", 5, 1e-3f);
        float[][] out = new float[2][];
        for (int threads = 1; threads <= 2; threads++)
            try (Arena arena = Arena.ofShared(); Pool pool = new Pool(threads);
                 CfmTrainer tr = new CfmTrainer(cfg, Datasets.open("moons", arena), Paths.byName("vp"), pool)) {
                for (int i = 0; i < 5; i++) tr.trainStep();
                out[threads - 1] = tr.mlp.params().values().toArray();
            }
        assertArrayEquals(out[0], out[1]);
    }

    @Test
    void divergenceStopsWithAMessageNamingTheStep() {
        TrainConfig cfg = new TrainConfig("huge.npy", "ot", 32, 2, "concat", 1, 64, 100, 1e-3f, LrSchedule.CONSTANT, 0, 0f, 0.9f, 0f, 1, 0, TimeSampling.UNIFORM, 0f);
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(1)) {
            // Finite data whose squared error overflows float32: the loss or gradient becomes Inf.
            Tensor huge = Tensor.allocate(arena, 16, 2);
            huge.fill(3e38f);
            try (CfmTrainer tr = new CfmTrainer(cfg, new ArrayDataSource(huge), Paths.byName("ot"), pool)) {
                TrainingDiverged e = assertThrows(TrainingDiverged.class, tr::trainStep);
                assertTrue(e.getMessage().contains("at step 1"), e.getMessage());
                assertEquals(0, tr.step(), "a diverged step must not update the weights");
            }
        }
    }

    /** End to end: a few hundred steps on 8 Gaussians, then every mode gets samples. */
    @Tag("slow") // ~3 s
    @Test
    void shortRunOnEightGaussiansCoversEveryMode() {
        TrainConfig cfg = new TrainConfig("8gaussians", "ot", 64, 3, "sinusoidal", 8, 256, 400, 3e-3f, LrSchedule.COSINE, 20, 0f, 0.99f, 0f, 3, 0, TimeSampling.UNIFORM, 0f);
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2);
             CfmTrainer tr = new CfmTrainer(cfg, Datasets.open("8gaussians", arena), Paths.byName("ot"), pool)) {
            double first = tr.trainStep();
            double last = 0;
            for (int i = 1; i < 400; i++) last = tr.trainStep();
            assertTrue(last < first, "loss did not fall: " + first + " -> " + last);
            tr.mlp.params().values().copyFrom(tr.ema.weights());
            try (Workspace ws = new Workspace(); OdeSolver euler = Solvers.byName("euler", 50, 0, 0)) {
                var r = Sampler.sample(tr.model, tr.path, euler, 4000, 11, ws);
                assertEquals(50, r.stats().nfe());
                int[] counts = EightGaussians.modeCoverage(r.samples().segment(), 4000);
                int covered = 0;
                for (int c : counts) {
                    assertTrue(c >= 4000 / 8 / 4, "a mode got only " + c + " of 4000 samples: " + java.util.Arrays.toString(counts));
                    covered += c;
                }
                assertTrue(covered > 0.7 * 4000, "only " + covered + " samples near a mode");
            }
        }
    }
}
