package dev.panflow.kernels;

import dev.panflow.backend.Backends;
import static dev.panflow.kernels.KernelTestUtil.assertBitwiseEqual;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.panflow.UserError;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class JvmConvTest {
    @Test
    void agreesWithScalarOnRaggedShapes() {
        for (int threads : new int[] {1, 2})
            for (boolean direct : new boolean[] {true, false})
                try (Pool pool = new Pool(threads); JvmConv conv = new JvmConv(pool, direct)) {
                    ConvAgreement.check(conv, 1e-5);
                }
    }

    /**
     * Shapes for the direct kernels (DirectConv): one output channel, channels not a multiple of
     * its 4-channel tile, widths whose padded rows end inside a vector tile, 1×1, non-square
     * kernels, pad 0 and pad R−1, strides 2 and 3 (phase planes), batches split into stacked groups.
     */
    @Tag("slow") // ~5 s
    @Test
    void directKernelsAgreeWithScalarOnRaggedShapes() {
        var shapes = java.util.List.of(
                new ConvShape(3, 5, 28, 28, 1, 3, 3, 1, 1),
                new ConvShape(2, 7, 7, 7, 6, 3, 3, 1, 1),
                new ConvShape(2, 1, 13, 9, 5, 3, 3, 1, 1),
                new ConvShape(3, 6, 5, 17, 9, 1, 1, 1, 0),
                new ConvShape(2, 3, 9, 6, 3, 2, 3, 1, 0),
                new ConvShape(1, 2, 6, 6, 3, 3, 3, 1, 2),
                new ConvShape(2, 4, 3, 3, 5, 1, 3, 1, 1),
                new ConvShape(1, 3, 40, 33, 2, 5, 5, 1, 2),
                new ConvShape(2, 3, 17, 16, 5, 3, 3, 3, 1),
                new ConvShape(2, 4, 28, 28, 6, 3, 3, 2, 1),
                new ConvShape(2, 3, 8, 9, 4, 1, 1, 2, 0),
                new ConvShape(7, 4, 6, 6, 5, 3, 3, 1, 1),      // images stacked in groups, the last one short
                new ConvShape(7, 3, 10, 10, 5, 3, 3, 2, 1),
                new ConvShape(3, 7, 9, 7, 37, 3, 3, 1, 1),     // weights as outer products: K past two vectors, ragged
                new ConvShape(3, 7, 9, 9, 33, 3, 3, 2, 1),
                new ConvShape(2, 50, 6, 5, 40, 1, 1, 1, 0),
                new ConvShape(40, 6, 30, 30, 64, 3, 3, 1, 1)); // several L1 row runs per image, several L2 image chunks
        for (int threads : new int[] {1, 2})
            try (Pool pool = new Pool(threads); JvmConv conv = new JvmConv(pool)) {
                ConvAgreement.check(conv, 1e-5, shapes);
            }
    }

    @Test
    void scalarMatchesHandComputedConvolution() {
        // 1 image, 1 channel 3×3 = 1…9, one 2×2 kernel of ones, stride 1, pad 0 → sums of 2×2 windows.
        ConvShape sh = new ConvShape(1, 1, 3, 3, 1, 2, 2, 1, 0);
        try (Arena a = Arena.ofShared()) {
            MemorySegment x = a.allocate(36), w = a.allocate(16), b = a.allocate(4), y = a.allocate(16);
            for (int i = 0; i < 9; i++) x.setAtIndex(KernelTestUtil.F, i, i + 1);
            for (int i = 0; i < 4; i++) w.setAtIndex(KernelTestUtil.F, i, 1);
            b.setAtIndex(KernelTestUtil.F, 0, 0.5f);
            new ConvScalar().forward(sh, x, w, b, y);
            float[] want = {12.5f, 16.5f, 24.5f, 28.5f};
            for (int i = 0; i < 4; i++) assertEquals(want[i], y.getAtIndex(KernelTestUtil.F, i));
        }
    }

    @Test
    void resultsDoNotDependOnThreads() {
        for (ConvShape sh : new ConvShape[] {new ConvShape(3, 8, 12, 12, 16, 3, 3, 1, 1), new ConvShape(3, 8, 12, 12, 6, 3, 3, 2, 1)})
            resultsDoNotDependOnThreads(sh);
    }

    private static void resultsDoNotDependOnThreads(ConvShape sh) {
        SplittableRandom rnd = new SplittableRandom(3);
        try (Arena a = Arena.ofShared(); Pool p1 = new Pool(1); Pool p2 = new Pool(2);
             JvmConv c1 = new JvmConv(p1); JvmConv c2 = new JvmConv(p2)) {
            MemorySegment x = ConvAgreement.rand(a, sh.xSize(), rnd), w = ConvAgreement.rand(a, sh.wSize(), rnd);
            MemorySegment dy = ConvAgreement.rand(a, sh.ySize(), rnd);
            MemorySegment[] o1 = {a.allocate(4 * sh.ySize()), a.allocate(4 * sh.xSize()), a.allocate(4 * sh.wSize())};
            MemorySegment[] o2 = {a.allocate(4 * sh.ySize()), a.allocate(4 * sh.xSize()), a.allocate(4 * sh.wSize())};
            c1.forward(sh, x, w, MemorySegment.NULL, o1[0]);
            c2.forward(sh, x, w, MemorySegment.NULL, o2[0]);
            c1.backwardData(sh, dy, w, o1[1]);
            c2.backwardData(sh, dy, w, o2[1]);
            c1.backwardWeights(sh, x, dy, o1[2], MemorySegment.NULL);
            c2.backwardWeights(sh, x, dy, o2[2], MemorySegment.NULL);
            assertBitwiseEqual(o1[0], o2[0], sh.ySize(), "forward");
            assertBitwiseEqual(o1[1], o2[1], sh.xSize(), "backwardData");
            assertBitwiseEqual(o1[2], o2[2], sh.wSize(), "backwardWeights");
        }
    }

    @Test
    void agreementShapesCoverSeveralImageGroups() {
        assertEquals(3, JvmConv.group(new ConvShape(5, 3, 20, 20, 4, 3, 3, 1, 1)));
        assertEquals(5, JvmConv.group(new ConvShape(9, 2, 30, 30, 3, 3, 3, 2, 1)));
    }

    @Test
    void unknownBackendIsAUserError() {
        try (Pool pool = new Pool(1)) {
            assertEquals("jvm", Backends.conv("jvm", pool).name());
            assertThrows(UserError.class, () -> Backends.conv("cudnn?", pool));
        }
    }
}
