package dev.panflow.onednn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.Datasets;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import dev.panflow.train.CfmTrainer;
import dev.panflow.train.LrSchedule;
import dev.panflow.train.ModelSpec;
import dev.panflow.train.Objective;
import dev.panflow.train.TimeSampling;
import dev.panflow.train.TrainConfig;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A warmed-up training step with the dense layers on oneDNN allocates nothing on the heap of the
 * caller or the pool's worker: the downcalls pass addresses, not slices. In a JVM of its own (tag "isolated", as the core's
 * TrainStepAllocationTest, for the same reason: C2's profiles). Needs libdnnl.so.2.
 */
@Tag("isolated")
class OneDnnStepAllocationTest {
    @Test
    void rowSplitStepAllocatesNothing() {
        steadyState(128); // the bench's small case: row pieces over both threads, row forms on one OpenMP thread each
    }

    @Test
    void layerByLayerStepAllocatesNothing() {
        steadyState(320); // wider than the row split takes: whole products on the run's OpenMP threads
    }

    private static void steadyState(int hidden) {
        TrainConfig cfg = new TrainConfig("checkerboard", "ot", hidden, 3, "concat", 1, 256, Long.MAX_VALUE / 2, 1e-3f,
                LrSchedule.CONSTANT, 0, 0f, 0f, 0f, 0, 0, TimeSampling.UNIFORM, 0f);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2);
             CfmTrainer tr = new CfmTrainer(cfg, ModelSpec.MLP, Datasets.open("checkerboard", arena), Paths.byName("ot"), pool, null,
                     dev.panflow.dist.Collective.SINGLE, Objective.CFM, OneDnnDense.open(2))) {
            long[] ids = Thread.getAllStackTraces().keySet().stream() // the caller and the pool's worker
                    .filter(t -> t == Thread.currentThread() || t.getName().startsWith("panflow-kernel-"))
                    .mapToLong(Thread::threadId).toArray();
            long perStep = Long.MAX_VALUE, steps = 0;
            // Bounded in steps, not seconds: C2 and the steps share the CPU, so on a loaded machine both slow down
            // together (a 60 s deadline failed the core's TrainStepAllocationTest under load); reached only by
            // code that really allocates.
            while (perStep >= 64 && steps < 100_000) {
                long before = total(mx.getThreadAllocatedBytes(ids));
                for (int i = 0; i < 200; i++) tr.trainStep();
                steps += 200;
                perStep = (total(mx.getThreadAllocatedBytes(ids)) - before) / 200;
            }
            System.out.printf("steady state on oneDNN, H %d: %d B/step after %d steps%n", hidden, perStep, steps);
            assertTrue(perStep < 64, "a warmed-up training step still allocated " + perStep + " bytes on the heap");
        }
    }

    private static long total(long[] xs) {
        long s = 0;
        for (long x : xs) s += Math.max(0, x); // -1: a thread that has ended
        return s;
    }
}
