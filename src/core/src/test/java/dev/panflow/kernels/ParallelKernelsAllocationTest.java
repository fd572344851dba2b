package dev.panflow.kernels;

import static dev.panflow.kernels.KernelTestUtil.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link ParallelKernels} split over two threads allocate nothing on any thread once compiled.
 * Runs in a JVM of its own (tag "isolated", like TrainStepAllocationTest): in the shared test JVM
 * other tests' type profiles of the same kernels made C2 box vectors.
 */
@Tag("isolated")
class ParallelKernelsAllocationTest {
    @Test
    void splitCallsDoNotAllocateOnAnyThread() {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int rows = 256, cols = 64;
        long n = (long) rows * cols;
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2)) {
            long[] ids = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t == Thread.currentThread() || t.getName().startsWith("panflow-kernel-"))
                    .mapToLong(Thread::threadId).toArray();
            SplittableRandom rnd = new SplittableRandom(62);
            MemorySegment y = random(arena, n, rnd, -3, 3), b = random(arena, cols, rnd, -1, 1), o = alloc(arena, n);
            MemorySegment g = random(arena, n, rnd, -1, 1), m = alloc(arena, n), v = alloc(arena, n);
            MemorySegment gt = random(arena, n, rnd, -3, 3), po = alloc(arena, n), dd = alloc(arena, n);
            ParallelKernels k = new ParallelKernels(pool);
            long best = Long.MAX_VALUE;
            for (int round = 0; round < 40 && best >= 64; round++) {
                long before = total(bean.getThreadAllocatedBytes(ids));
                for (int r = 0; r < 200; r++) {
                    k.siluBackward(y, g, o, n);
                    k.biasSiluGate(gt, b, po, rows, cols);
                    k.siluBackwardGate(gt, po, g, dd, n);
                    k.adam(o, g, m, v, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1 + r);
                    k.ema(m, o, 0.99f, n);
                    y.setAtIndex(F, 0, 0.5f);   // keep values bounded: y is reused as input
                }
                best = Math.min(best, (total(bean.getThreadAllocatedBytes(ids)) - before) / 200);
            }
            assertTrue(best < 64, "a round of split kernels allocated " + best + " bytes");
        }
    }

    private static long total(long[] xs) {
        long s = 0;
        for (long x : xs) s += Math.max(0, x);
        return s;
    }
}
