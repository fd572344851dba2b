package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.FashionMnist;
import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attention block adds no heap allocation to a warmed-up U-Net training step (all threads
 * counted: the pool's workers run attention slots too). Runs in a JVM of its own (tag "isolated",
 * as TrainStepAllocationTest: C2's type profiles decide whether vectors stay in registers).
 */
@Tag("isolated")
class UNetAttentionAllocationTest {
    @Test
    void attentionAddsNoAllocationPerStep(@TempDir Path dir) throws Exception {
        long plain = perStep(dir, UNetTrainerTest.SPEC), attention = perStep(dir, UNetAttentionTrainerTest.SPEC);
        System.out.println("U-Net step heap bytes (all threads): plain " + plain + ", with attention " + attention);
        assertTrue(attention <= plain + 64, "a warmed-up step allocates " + attention + " bytes with attention, " + plain + " without");
    }

    /**
     * The least heap bytes per step over rounds of 100 steps: until a round stays under 64 bytes a
     * step, or 10 rounds bring no new least (the attention-free step still allocates a little on
     * main: that is the U-Net's, not the block's), or 60 s (C2 lagging on a busy machine).
     */
    private static long perStep(Path dir, ModelSpec spec) throws Exception {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        TrainConfig c = new TrainConfig("fashion-mnist", "ot", 32, 2, "sinusoidal", 4, 16, 1_000_000, 1e-3f, LrSchedule.COSINE, 1, 0f, 0.9f, 0f, 3, 0,
                TimeSampling.LOGIT_NORMAL, 0f);
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool);
             CfmTrainer tr = new CfmTrainer(c, spec, UNetTrainerTest.tinySet(dir, arena), Paths.byName("ot"), pool, conv)) {
            long best = Long.MAX_VALUE, deadline = System.nanoTime() + 60_000_000_000L;
            for (int stale = 0; best >= 64 && stale < 10 && System.nanoTime() < deadline; stale++) {
                long before = all(mx);
                for (int i = 0; i < 100; i++) tr.trainStep();
                long got = (all(mx) - before) / 100;
                if (got < best) {
                    best = got;
                    stale = -1;
                }
            }
            return best;
        }
    }

    private static long all(com.sun.management.ThreadMXBean mx) {
        long s = 0;
        for (long b : mx.getThreadAllocatedBytes(mx.getAllThreadIds())) if (b > 0) s += b;
        return s;
    }
}
