package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.FashionMnist;
import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A warmed-up CFM step of a conditional U-Net (label dropout, convolutions on the JVM) allocates
 * nothing on the heap of any thread that runs it: the caller and the pool's workers. In a JVM of
 * its own (tag "isolated", as {@link TrainStepAllocationTest}: C2's profiles).
 */
@Tag("isolated")
class UNetStepAllocationTest {
    static final ModelSpec SPEC = new ModelSpec("unet", new int[] {8, 16}, 4, true, 0.2f);

    @Test
    void steadyStateStepAllocatesNothingOnAnyThread(@TempDir Path dir) throws Exception {
        TrainConfig cfg = new TrainConfig("fashion-mnist", "ot", 32, 2, "sinusoidal", 4, 8, Long.MAX_VALUE / 2, 1e-3f,
                LrSchedule.CONSTANT, 1, 0f, 0.999f, 1f, 0, 0, TimeSampling.LOGIT_NORMAL, 0f);
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            FashionMnist data = UNetTrainerTest.tinySet(dir, arena); // 1 × 8 × 8, 3 classes
            try (CfmTrainer tr = new CfmTrainer(cfg, SPEC, data, Paths.byName("ot"), pool, conv)) {
                long bytesBefore = tr.workspaceBytes();
                // The warm-up took about 2,300 steps on a loaded 2-core Zen 4: 40,000 is ~17×.
                SteadyState.Result r = SteadyState.measure(tr::trainStep, 200, 40_000);
                assertTrue(r.allocationFree(), "a warmed-up U-Net step still allocated on the heap: " + r.log());
                assertEquals(bytesBefore, tr.workspaceBytes(), "off-heap workspace grew");
            }
        }
    }
}
