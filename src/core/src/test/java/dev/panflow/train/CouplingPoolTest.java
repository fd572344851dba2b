package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.coupling.Coupling;
import dev.panflow.coupling.LinearAssignment;
import dev.panflow.coupling.MinibatchOtCoupling;
import dev.panflow.data.Checkerboard;
import dev.panflow.data.Datasets;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --coupling-batch: R = M/B steps train on disjoint minibatches of one plan over M pairs, whose
 * union is that plan (optimal over all M); a step's batch depends only on the seed and the step,
 * and a run resumed mid-pool is bit for bit the uninterrupted one.
 */
class CouplingPoolTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    static float[] batchOf(CouplingPool p, long step, int b) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment x0 = a.allocate(8L * b), x1 = a.allocate(8L * b);
            p.fill(step, x0, x1, null);
            float[] out = new float[4 * b]; // x1 row, then x0 row, per pair
            for (int q = 0; q < b; q++) {
                out[4 * q] = x1.getAtIndex(F, 2L * q);
                out[4 * q + 1] = x1.getAtIndex(F, 2L * q + 1);
                out[4 * q + 2] = x0.getAtIndex(F, 2L * q);
                out[4 * q + 3] = x0.getAtIndex(F, 2L * q + 1);
            }
            return out;
        }
    }

    @Test
    void minibatchesPartitionOneOptimalPlanOverThePool() {
        int b = 24, m = 96, r = m / b;
        try (Workspace ws = new Workspace()) {
            CouplingPool p = new CouplingPool(new MinibatchOtCoupling(m, 2), m, b, 2, new Checkerboard(), false, 0, 0, 9, ws);
            assertEquals(4, p.stepsPerPlan());
            float[] all = new float[4 * m];
            for (int s = 0; s < r; s++) System.arraycopy(batchOf(p, s, b), 0, all, 4 * b * s, 4 * b);
            assertEquals(0, p.pool());
            Set<Float> seen = new HashSet<>();
            for (int q = 0; q < m; q++) assertTrue(seen.add(all[4 * q]), "a data row was used twice in one pool");
            // The union's pairing costs what the optimal assignment between its two sides costs.
            LinearAssignment lap = new LinearAssignment(m);
            double paired = 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    float dx = all[4 * i] - all[4 * j + 2], dy = all[4 * i + 1] - all[4 * j + 3];
                    lap.cost()[i * m + j] = dx * dx + dy * dy;
                }
                paired += lap.cost()[i * m + i];
            }
            assertEquals(lap.solve(m), paired, 1e-4 * paired);
            // A per-batch plan (B rows) is worse on the same union: the pool's plan is not B-local.
            float[] next = batchOf(p, r, b);
            assertEquals(1, p.pool(), "step R draws the next pool");
            assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOf(all, 4 * b), next));
            // Random access: a fresh pool gives step 5 the same batch as the one that walked there.
            CouplingPool q = new CouplingPool(new MinibatchOtCoupling(m, 2), m, b, 2, new Checkerboard(), false, 0, 0, 9, ws);
            assertArrayEquals(batchOf(p, 5, b), batchOf(q, 5, b));
            CouplingPool otherSeed = new CouplingPool(new MinibatchOtCoupling(m, 2), m, b, 2, new Checkerboard(), false, 0, 0, 10, ws);
            assertFalse(java.util.Arrays.equals(batchOf(p, 5, b), batchOf(otherSeed, 5, b)));
        }
    }

    @Test
    void resumeMidPoolIsBitForBitTheUninterruptedRun(@TempDir Path dir) {
        TrainConfig cfg = CfmTrainerTest.small("checkerboard", "ot", 14, 1e-3f);
        int m = 200; // batch 64: 3 steps per plan, 8 rows left over
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2)) {
            var data = Datasets.open("checkerboard", arena);
            float[] straight, perBatch;
            try (CfmTrainer a = new CfmTrainer(cfg, data, Paths.byName("ot"), pool)) {
                a.setCoupling(Coupling.byName("sinkhorn", m, 2, 0.02), m);
                while (a.step() < 14) a.trainStep();
                straight = a.mlp.params().values().toArray();
            }
            try (CfmTrainer a = new CfmTrainer(cfg, data, Paths.byName("ot"), pool)) {
                a.setCoupling(Coupling.byName("sinkhorn", cfg.batch(), 2, 0.02));
                while (a.step() < 14) a.trainStep();
                perBatch = a.mlp.params().values().toArray();
            }
            assertFalse(java.util.Arrays.equals(straight, perBatch), "the coupling batch changes the run");
            Path ckpt = dir.resolve("model.safetensors");
            try (CfmTrainer b = new CfmTrainer(cfg, data, Paths.byName("ot"), pool)) {
                b.setCoupling(Coupling.byName("sinkhorn", m, 2, 0.02), m);
                while (b.step() < 7) b.trainStep(); // 7 = 2 plans and one step into the third
                Checkpoint.save(b, ckpt);
                b.trainStep();
            }
            try (CfmTrainer wrong = new CfmTrainer(cfg, data, Paths.byName("ot"), pool)) {
                wrong.setCoupling(Coupling.byName("sinkhorn", cfg.batch(), 2, 0.02));
                var e = assertThrows(dev.panflow.InvalidParameterException.class, () -> Checkpoint.restore(wrong, ckpt));
                assertEquals("couplingBatch", e.parameter());
                assertTrue(e.getMessage().contains("couplingBatch 200"), e.getMessage());
            }
            try (CfmTrainer c = new CfmTrainer(cfg, data, Paths.byName("ot"), pool)) {
                c.setCoupling(Coupling.byName("sinkhorn", m, 2, 0.02), m);
                Checkpoint.restore(c, ckpt);
                assertEquals(7, c.step());
                while (c.step() < 14) c.trainStep();
                assertArrayEquals(straight, c.mlp.params().values().toArray());
            }
            try (CfmTrainer small = new CfmTrainer(cfg, data, Paths.byName("ot"), pool)) {
                var e = assertThrows(dev.panflow.InvalidParameterException.class, () -> small.setCoupling(Coupling.byName("ot", 32, 2), 32));
                assertEquals("couplingBatch", e.parameter());
            }
        }
    }
}
