package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.Datasets;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Runs in a JVM of its own (tag "isolated", see pom.xml): whether C2 keeps Vector API values in
 * registers depends on the type profiles of shared kernel helpers, which the other tests' mixed
 * shapes and call sites pollute; the CLI's JVM, like this one, sees only the training loop.
 */
@Tag("isolated")
class TrainStepAllocationTest {
    @Test
    void steadyStateStepAllocatesNothingOnTheHeap() {
        steadyState(CfmTrainerTest.small("checkerboard", "ot", 100000, 1e-3f));
    }

    /** --coupling-batch: minibatches copied from a pool, and a sinkhorn plan over the pool every 3 steps. */
    @Test
    void steadyStateStepWithACouplingBatchAllocatesNothing() {
        TrainConfig cfg = CfmTrainerTest.small("checkerboard", "ot", 100000, 1e-3f);
        steadyState(cfg, Objective.CFM, tr -> tr.setCoupling(dev.panflow.coupling.Coupling.byName("sinkhorn", 3 * cfg.batch(), 2, 0.05), 3 * cfg.batch()));
    }

    static void steadyState(TrainConfig cfg) { steadyState(cfg, Objective.CFM); }

    static void steadyState(TrainConfig cfg, Objective objective) { steadyState(cfg, objective, tr -> {}); }

    private static void steadyState(TrainConfig cfg, Objective objective, java.util.function.Consumer<CfmTrainer> setUp) {
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2);
             CfmTrainer tr = new CfmTrainer(cfg, ModelSpec.MLP, Datasets.open("checkerboard", arena),
                     Paths.byName("ot"), pool, null, dev.panflow.dist.Collective.SINGLE, objective)) {
            setUp.accept(tr);
            long bytesBefore = tr.workspaceBytes();
            // Rounds of 1000 steps until one allocates nothing on the caller and the pool's worker alike;
            // the warm-up is bounded in steps, not seconds (see SteadyState).
            SteadyState.Result r = SteadyState.measure(tr::trainStep, 1000, WARMUP_STEPS);
            assertTrue(r.allocationFree(), "a warmed-up training step still allocated on the heap: " + r.log());
            assertEquals(bytesBefore, tr.workspaceBytes(), "off-heap workspace grew");
        }
    }

    /** Steps the warm-up may take: it took 2,000 to 6,000 on a loaded 2-core Zen 4 (both forks), so this is ~30×. */
    static final long WARMUP_STEPS = 200_000;
}
