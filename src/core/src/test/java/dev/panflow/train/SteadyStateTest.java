package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.kernels.Pool;
import org.junit.jupiter.api.Test;

/** The allocation tests' measure can fail: a step that allocates, on the caller or on a pool worker, never counts as warm. */
class SteadyStateTest {
    static volatile Object sink;
    static volatile boolean workerRan;

    @Test
    void aStepThatAllocatesOnTheCallerFails() {
        SteadyState.Result r = SteadyState.measure(() -> sink = new byte[100], 100, 2000);
        assertFalse(r.allocationFree(), r.log());
        assertTrue(r.bytesPerStep() >= 100, r.log());
        assertTrue(r.log().contains("SteadyStateTest.lambda"), "the log names the allocating frame: " + r.log());
    }

    @Test
    void aStepThatAllocatesOnlyOnAPoolWorkerFails() {
        try (Pool pool = new Pool(2)) {
            // Chunk 0 runs on the caller and waits for chunk 1, so chunk 1 (the allocation) runs on the worker.
            Pool.RangeBody body = (from, to) -> {
                if (from == 0) {
                    while (!workerRan) Thread.onSpinWait();
                    workerRan = false;
                } else {
                    sink = new byte[10_000]; // large enough for the failure's JFR sampling to see it in 200 rounds
                    workerRan = true;
                }
            };
            SteadyState.Result r = SteadyState.measure(() -> pool.parallelFor(2, 1, body), 100, 2000);
            assertFalse(r.allocationFree(), r.log());
            assertTrue(r.log().contains("SteadyStateTest.lambda"), "the log names the worker's allocating frame: " + r.log());
        }
    }

    @Test
    void aStepThatAllocatesNothingPasses() {
        long[] count = {0};
        assertTrue(SteadyState.measure(() -> count[0]++, 100, 2000).allocationFree());
    }
}
