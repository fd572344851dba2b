package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.kernels.Elementwise;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Dropout's draw (masks from reseeded per-image streams, then x·m) and apply (g·m), split over two
 * threads, allocate nothing on any thread once compiled, and the workspace does not grow.
 * A JVM of its own (tag "isolated"), as ParallelKernelsAllocationTest.
 */
@Tag("isolated")
class DropoutAllocationTest {
    @Test
    void drawAndApplyDoNotAllocateOnAnyThread() {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int n = 16, width = 32 * 49 + 3;
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2)) {
            long[] ids = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t == Thread.currentThread() || t.getName().startsWith("panflow-kernel-"))
                    .mapToLong(Thread::threadId).toArray();
            Dropout d = new Dropout(0.1f, 7, 2, width, pool);
            d.reserve(ws, n);
            Tensor x = ws.tensor(n, width), g = ws.tensor(n, width);
            long bytes = ws.bytes();
            long best = Long.MAX_VALUE;
            for (int round = 0; round < 60 && best >= 64; round++) {
                long before = total(bean.getThreadAllocatedBytes(ids));
                for (int r = 0; r < 200; r++) {
                    Elementwise.fill(x.segment(), 1f, x.size());
                    Elementwise.fill(g.segment(), 1f, g.size());
                    d.draw(x.segment(), n, round * 200L + r, 0);
                    d.apply(g.segment(), n);
                }
                best = Math.min(best, (total(bean.getThreadAllocatedBytes(ids)) - before) / 200);
            }
            assertTrue(best < 64, "a dropout draw and apply allocated " + best + " bytes");
            assertEquals(bytes, ws.bytes(), "workspace grew");
        }
    }

    private static long total(long[] xs) {
        long s = 0;
        for (long x : xs) s += Math.max(0, x);
        return s;
    }
}
