package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.Datasets;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
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

    /** The bench's small case (H 128, batch 256): row pieces over both threads, weights packed once per pass. */
    @Test
    void steadyStateRowSplitStepWithPrepackedWeightsAllocatesNothing() {
        steadyState(new TrainConfig("checkerboard", "ot", 128, 3, "concat", 1, 256, Long.MAX_VALUE / 2, 1e-3f, LrSchedule.CONSTANT,
                0, 0f, 0f, 0f, 0, 0, TimeSampling.UNIFORM, 0f)); // the PyTorch reference's recipe, as panflow bench trains it

    }

    /** --coupling-batch: minibatches copied from a pool, and a sinkhorn plan over the pool every 3 steps. */
    @Test
    void steadyStateStepWithACouplingBatchAllocatesNothing() {
        TrainConfig cfg = CfmTrainerTest.small("checkerboard", "ot", 100000, 1e-3f);
        steadyState(cfg, Objective.CFM, tr -> tr.setCoupling(dev.panflow.coupling.Coupling.byName("sinkhorn", 3 * cfg.batch(), 2, 0.05), 3 * cfg.batch()));
    }

    private static void steadyState(TrainConfig cfg) { steadyState(cfg, Objective.CFM); }

    static void steadyState(TrainConfig cfg, Objective objective) { steadyState(cfg, objective, tr -> {}); }

    private static void steadyState(TrainConfig cfg, Objective objective, java.util.function.Consumer<CfmTrainer> setUp) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long me = Thread.currentThread().threadId();
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2);
             CfmTrainer tr = new CfmTrainer(cfg, ModelSpec.MLP, Datasets.open("checkerboard", arena),
                     Paths.byName("ot"), pool, null, dev.panflow.dist.Collective.SINGLE, objective)) {
            setUp.accept(tr);
            // Until C2 has compiled the Vector API kernels, vectors are boxed on the heap; on two
            // busy cores that can take a while. Steady state = a round of steps that allocates nothing.
            long bytesBefore = tr.workspaceBytes();
            long perStep = Long.MAX_VALUE;
            long deadline = System.nanoTime() + 60_000_000_000L; // bounds only code that really allocates (as AllocationTest)
            while (perStep >= 64 && System.nanoTime() < deadline) { // no round cap: under load C2 can lag far behind the calls
                long before = mx.getThreadAllocatedBytes(me);
                for (int i = 0; i < 1000; i++) tr.trainStep();
                perStep = (mx.getThreadAllocatedBytes(me) - before) / 1000;
            }
            assertTrue(perStep < 64, "a warmed-up training step still allocated " + perStep + " bytes on the heap");
            assertEquals(bytesBefore, tr.workspaceBytes(), "off-heap workspace grew");
        }
    }

}
