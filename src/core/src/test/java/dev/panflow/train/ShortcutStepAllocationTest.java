package dev.panflow.train;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The shortcut step (two serial target passes, then forward and backward) allocates nothing once warm. A class (so a JVM) of its own: run after the other
 * objectives' steps in one JVM, C2's shared kernel profiles left a vector op boxed (see
 * {@link TrainStepAllocationTest}).
 */
@Tag("isolated")
class ShortcutStepAllocationTest {
    @Test
    void steadyStateStepAllocatesNothingOnTheHeap() {
        TrainStepAllocationTest.steadyState(CfmTrainerTest.small("checkerboard", "ot", 100000, 1e-3f), Objective.SHORTCUT);
    }
}
