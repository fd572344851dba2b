package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

import static dev.panflow.kernels.KernelTestUtil.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Vector API row softmax agrees with its double-precision scalar twin on ragged rows. */
class SoftmaxTest {
    @Test
    void forwardAndBackwardMatchScalar() {
        SplittableRandom rnd = new SplittableRandom(31);
        try (Arena arena = Arena.ofConfined()) {
            for (int cols : RAGGED)
                for (float spread : new float[] {1f, 30f}) { // 30: large scores, the max subtraction must keep exp finite
                    int rows = 1 + rnd.nextInt(5);
                    long size = (long) rows * cols;
                    float scale = (float) (1 / Math.sqrt(1 + rnd.nextInt(16)));
                    String what = rows + "×" + cols + " spread " + spread;
                    MemorySegment x = random(arena, size, rnd, -spread, spread);
                    MemorySegment pv = copyOf(arena, x), ps = copyOf(arena, x);
                    Softmax.forward(pv, cols, scale, 0, rows);
                    SoftmaxScalar.forward(ps, cols, scale, 0, rows);
                    assertClose(pv, ps, size, 2e-6, what + " forward");
                    for (int r = 0; r < rows; r++) {
                        double s = 0;
                        for (int j = 0; j < cols; j++) {
                            float p = pv.getAtIndex(F, (long) r * cols + j);
                            assertTrue(p >= 0 && p <= 1, what + " p = " + p);
                            s += p;
                        }
                        assertEquals(1, s, 1e-5, what + " row " + r + " sums to 1");
                    }
                    MemorySegment g = random(arena, size, rnd, -1, 1), dv = alloc(arena, size), ds = alloc(arena, size);
                    Softmax.backward(ps, g, dv, cols, scale, 0, rows);
                    SoftmaxScalar.backward(ps, g, ds, cols, scale, 0, rows);
                    assertClose(dv, ds, size, 2e-6, what + " backward");
                    MemorySegment inPlace = copyOf(arena, g);   // out aliasing g
                    Softmax.backward(ps, inPlace, inPlace, cols, scale, 0, rows);
                    assertBitwiseEqual(inPlace, dv, size, what + " backward in place");
                }
        }
    }

    /** The softmax of a row is invariant to adding a constant, and matches the definition on a hand example. */
    @Test
    void knownValues() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = alloc(arena, 3);
            x.setAtIndex(F, 0, 0f);
            x.setAtIndex(F, 1, 1f);
            x.setAtIndex(F, 2, 2f);
            Softmax.forward(x, 3, 0.5f, 0, 1);
            double z = 1 + Math.exp(0.5) + Math.exp(1);
            assertEquals(1 / z, x.getAtIndex(F, 0), 1e-6);
            assertEquals(Math.exp(0.5) / z, x.getAtIndex(F, 1), 1e-6);
            assertEquals(Math.exp(1) / z, x.getAtIndex(F, 2), 1e-6);
        }
    }

    @Test
    void rowRangesComposeBitwise() {
        SplittableRandom rnd = new SplittableRandom(32);
        try (Arena arena = Arena.ofConfined()) {
            int rows = 7, cols = 49;
            long size = (long) rows * cols;
            MemorySegment x = random(arena, size, rnd, -3, 3), whole = copyOf(arena, x), parts = copyOf(arena, x);
            Softmax.forward(whole, cols, 0.25f, 0, rows);
            Softmax.forward(parts, cols, 0.25f, 0, 3);
            Softmax.forward(parts, cols, 0.25f, 3, rows);
            assertBitwiseEqual(whole, parts, size, "forward split at row 3");
        }
    }
}
