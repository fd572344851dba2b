package dev.panflow.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Trainer.run's loop, with a time budget and the listener's lr/grad-norm call, allocates nothing
 * per step once C2 has compiled the kernels (as TrainStepAllocationTest: rounds of 1000 steps
 * until one allocates nothing, within {@link #WARMUP_STEPS} steps; bounded in steps, not seconds,
 * see dev.panflow.train.SteadyState). One kernel thread: the caller is the only one that runs a step.
 */
@Tag("isolated")
class RunLoopAllocationTest {
    /** Steps the warm-up may take (~30× what TrainStepAllocationTest's took on a loaded 2-core Zen 4). */
    static final long WARMUP_STEPS = 200_000;

    @Test
    void theBudgetedLoopAllocatesNothingPerStep() {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        long[] perStep = {Long.MAX_VALUE, 0};
        try (Trainer t = TrainerTest.small(DataSets.builtIn("checkerboard")).steps(100_000_000).warmup(10).checkpointEvery(0)
                .timeBudget(Duration.ofHours(1)).build()) { // the estimate comes at 5 % of an hour: not in this test
            t.run(new ProgressListener() {
                @Override
                public void onStep(long step, long total, double loss, double smoothed, double lr, double gradNorm) {
                    if (step % 1000 != 0) return;
                    long now = bean.getThreadAllocatedBytes(tid);
                    if (perStep[1] != 0) perStep[0] = (now - perStep[1]) / 1000;
                    perStep[1] = now;
                    if (perStep[0] < 64 || step >= WARMUP_STEPS) t.requestStop();
                }
            });
        }
        assertTrue(perStep[0] < 64, "a warmed-up budgeted step still allocated " + perStep[0] + " bytes on the heap");
    }
}
