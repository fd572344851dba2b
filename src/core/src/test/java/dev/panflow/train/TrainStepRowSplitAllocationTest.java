package dev.panflow.train;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The bench's small case (H 128, batch 256): row pieces over both threads, weights packed once per pass.
 * A class (so a JVM) of its own: run after TrainStepAllocationTest's shapes in one JVM, C2 compiled the
 * pool worker's kernels from their polluted profiles with vectors boxed (589,824 B/step for 200,000 steps),
 * while alone, as the CLI runs it, the step settles at 0 B/step within 2,000 steps.
 */
@Tag("isolated")
class TrainStepRowSplitAllocationTest {
    @Test
    void steadyStateRowSplitStepWithPrepackedWeightsAllocatesNothing() {
        TrainStepAllocationTest.steadyState(new TrainConfig("checkerboard", "ot", 128, 3, "concat", 1, 256, Long.MAX_VALUE / 2, 1e-3f,
                LrSchedule.CONSTANT, 0, 0f, 0f, 0f, 0, 0, TimeSampling.UNIFORM, 0f)); // the PyTorch reference's recipe, as panflow bench trains it
    }
}
