package dev.panflow.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.kernels.ConvShape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * oneDNN convolutions against {@link ReferenceConv}. These need libdnnl.so.2: without it they
 * fail with the install hint (CI installs it), they are never skipped.
 */
class OneDnnConvTest {
    static final double TOL = 1e-4;

    /** Fixed edge cases plus random shapes: stride 1/2, pad 0/1, ragged channels, batch 1 and >1. */
    static List<ConvShape> shapes() {
        List<ConvShape> l = new ArrayList<>(List.of(
                new ConvShape(1, 1, 5, 5, 1, 3, 3, 1, 0),
                new ConvShape(2, 3, 7, 6, 5, 3, 3, 2, 1),
                new ConvShape(3, 16, 8, 8, 8, 3, 3, 1, 1),
                new ConvShape(2, 9, 9, 9, 17, 1, 1, 1, 0),
                new ConvShape(1, 13, 6, 10, 11, 3, 3, 2, 0)));
        Random rnd = new Random(42);
        for (int t = 0; t < 6; t++) {
            int r = 1 + 2 * rnd.nextInt(2), stride = 1 + rnd.nextInt(2), pad = rnd.nextInt(2);
            l.add(new ConvShape(1 + rnd.nextInt(3), 1 + rnd.nextInt(19), r + rnd.nextInt(9), r + rnd.nextInt(9),
                    1 + rnd.nextInt(19), r, r, stride, pad));
        }
        return l;
    }

    @Test
    void plainLayoutAgreesWithReference() {
        try (var conv = OneDnnConv.open(2, OneDnnConv.Layout.PLAIN)) {
            for (ConvShape sh : shapes()) checkAll(conv, sh);
        }
    }

    @Test
    void blockedLayoutAgreesWithReference() {
        try (var conv = OneDnnConv.open(2, OneDnnConv.Layout.BLOCKED)) {
            for (ConvShape sh : shapes()) checkAll(conv, sh);
            // again, after the shared reorder/scratchpad buffers grew for larger shapes
            for (ConvShape sh : shapes().subList(0, 3)) checkAll(conv, sh);
        }
    }

    @Test
    void autoLayoutAgreesWithReference() {
        try (var conv = OneDnnConv.open(2)) {
            assertEquals(OneDnnConv.Layout.AUTO, conv.layout());
            for (ConvShape sh : shapes()) checkAll(conv, sh);
        }
    }

    @Test
    void primitivesAreCachedPerShape() {
        try (var conv = OneDnnConv.open(1); var arena = Arena.ofConfined()) {
            ConvShape sh = new ConvShape(2, 4, 6, 6, 5, 3, 3, 1, 1);
            MemorySegment x = arena.allocate(4 * sh.xSize()), w = arena.allocate(4 * sh.wSize()),
                    y = arena.allocate(4 * sh.ySize()), y2 = arena.allocate(4 * sh.ySize());
            conv.forward(sh, x, w, MemorySegment.NULL, y);
            int ops = conv.cachedOps();
            conv.forward(sh, x, w, MemorySegment.NULL, y2); // other buffers, same shape: no new primitive
            assertEquals(ops, conv.cachedOps());
            conv.forward(new ConvShape(1, 4, 6, 6, 5, 3, 3, 1, 1), x, w, MemorySegment.NULL, y);
            assertEquals(ops + 1, conv.cachedOps());
        }
    }

    @Test
    void steadyStateCallsDoNotAllocate() {
        var bean = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        try (var conv = OneDnnConv.open(1); var arena = Arena.ofConfined()) {
            ConvShape sh = new ConvShape(1, 2, 4, 4, 5, 3, 3, 1, 1);
            MemorySegment x = arena.allocate(4 * sh.xSize()), w = arena.allocate(4 * sh.wSize()),
                    y = arena.allocate(4 * sh.ySize()), b = arena.allocate(4L * sh.k());
            Runnable step = () -> {
                conv.forward(sh, x, w, b, y);
                conv.backwardData(sh, y, w, x);
                conv.backwardWeights(sh, x, y, w, b);
            };
            for (int i = 0; i < 3000; i++) step.run();
            long best = Long.MAX_VALUE; // JIT may still be compiling on a busy machine: best of rounds
            for (int round = 0; round < 20 && best >= 64; round++) {
                long before = bean.getThreadAllocatedBytes(tid);
                for (int i = 0; i < 200; i++) step.run();
                best = Math.min(best, (bean.getThreadAllocatedBytes(tid) - before) / 200);
            }
            assertTrue(best < 64, "a training step's oneDNN calls allocate " + best + " bytes");
        }
    }

    /** 3×3 layers with a few output channels run on the JVM's NarrowConv, and agree with the reference there too. */
    @Test
    void narrowOutputLayersRunOnTheJvm() {
        try (var conv = OneDnnConv.open(1)) {
            ConvShape sh = new ConvShape(3, 6, 9, 7, 1, 3, 3, 1, 1), wide = new ConvShape(3, 6, 9, 7, 5, 3, 3, 1, 1);
            assertEquals("jvm:narrow", conv.implementation(sh));
            assertNotEquals("jvm:narrow", conv.implementation(wide));
            int ops = conv.cachedOps();
            checkAll(conv, sh);
            checkAll(conv, new ConvShape(2, 3, 5, 11, 3, 3, 3, 1, 1));
            assertEquals(ops, conv.cachedOps(), "no oneDNN primitive for a narrow layer");
        }
    }

    @Test
    void threadCountReachesOpenMp() {
        // Debian's oneDNN 2.6 runs on libgomp; the backend sets its thread count per calling thread.
        assertTrue(Dnnl.load().ompSetNumThreads != null, "omp_set_num_threads not found next to libdnnl");
    }

    @Test
    void heapOrShortSegmentsAreRejected() {
        try (var conv = OneDnnConv.open(1); var arena = Arena.ofConfined()) {
            ConvShape sh = new ConvShape(1, 2, 4, 4, 5, 3, 3, 1, 1);
            MemorySegment w = arena.allocate(4 * sh.wSize()), y = arena.allocate(4 * sh.ySize());
            var heap = MemorySegment.ofArray(new float[(int) sh.xSize()]);
            assertThrows(IllegalArgumentException.class, () -> conv.forward(sh, heap, w, MemorySegment.NULL, y));
            var shortX = arena.allocate(4 * sh.xSize() - 4);
            assertThrows(IllegalArgumentException.class, () -> conv.forward(sh, shortX, w, MemorySegment.NULL, y));
        }
    }

    @Test
    void closedBackendRefusesWork() {
        var conv = OneDnnConv.open(1);
        conv.close();
        conv.close(); // idempotent
        ConvShape sh = new ConvShape(1, 1, 3, 3, 1, 3, 3, 1, 0);
        assertThrows(IllegalStateException.class,
                () -> conv.forward(sh, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL));
    }

    private static void checkAll(OneDnnConv conv, ConvShape sh) {
        Random rnd = new Random(sh.hashCode());
        float[] x = random(rnd, sh.xSize()), w = random(rnd, sh.wSize()), b = random(rnd, sh.k()),
                dy = random(rnd, sh.ySize());
        try (var arena = Arena.ofConfined()) {
            MemorySegment xs = seg(arena, x), ws = seg(arena, w), bs = seg(arena, b), dys = seg(arena, dy);
            MemorySegment y = nan(arena, sh.ySize()), dx = nan(arena, sh.xSize()), dw = nan(arena, sh.wSize()),
                    db = nan(arena, sh.k());
            String at = conv.layout() + " " + sh;

            conv.forward(sh, xs, ws, MemorySegment.NULL, y);
            assertClose(ReferenceConv.forward(sh, x, w, null), y, "forward " + at);
            fillNaN(y);
            conv.forward(sh, xs, ws, bs, y);
            assertClose(ReferenceConv.forward(sh, x, w, b), y, "forward+bias " + at);

            conv.backwardData(sh, dys, ws, dx);
            assertClose(ReferenceConv.backwardData(sh, dy, w), dx, "backwardData " + at);

            conv.backwardWeights(sh, xs, dys, dw, MemorySegment.NULL);
            assertClose(ReferenceConv.backwardWeights(sh, x, dy), dw, "backwardWeights " + at);
            fillNaN(dw);
            conv.backwardWeights(sh, xs, dys, dw, db);
            assertClose(ReferenceConv.backwardWeights(sh, x, dy), dw, "backwardWeights(+bias) " + at);
            assertClose(ReferenceConv.backwardBias(sh, dy), db, "backwardBias " + at);
        }
    }

    /** max |got − want| ≤ TOL · max |want| (outputs start as NaN, so untouched elements fail). */
    static void assertClose(double[] want, MemorySegment got, String what) {
        double maxRef = 1e-30, maxErr = 0;
        for (int i = 0; i < want.length; i++) {
            double g = got.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            maxRef = Math.max(maxRef, Math.abs(want[i]));
            double e = Math.abs(g - want[i]);
            if (!(e <= maxErr)) maxErr = Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
        }
        assertTrue(maxErr <= TOL * maxRef, what + ": max error " + maxErr + " vs max |ref| " + maxRef);
    }

    static float[] random(Random rnd, long n) {
        float[] a = new float[(int) n];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    static MemorySegment seg(Arena arena, float[] a) {
        return arena.allocateFrom(ValueLayout.JAVA_FLOAT, a);
    }

    static MemorySegment nan(Arena arena, long n) {
        MemorySegment s = arena.allocate(4 * n, 64);
        fillNaN(s);
        return s;
    }

    static void fillNaN(MemorySegment s) {
        for (long i = 0; i < s.byteSize() / 4; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, Float.NaN);
    }
}
