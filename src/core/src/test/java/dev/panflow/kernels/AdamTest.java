package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

import static dev.panflow.kernels.KernelTestUtil.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AdamTest {
    @Test
    void matchesScalarTwinOverSeveralSteps() {
        SplittableRandom rnd = new SplittableRandom(20);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {1, 7, 9, 33, 257, 1000}) {
                MemorySegment p1 = random(arena, n, rnd, -1, 1), p2 = copyOf(arena, p1);
                MemorySegment m1 = alloc(arena, n), m2 = alloc(arena, n), v1 = alloc(arena, n), v2 = alloc(arena, n);
                for (long step = 1; step <= 6; step++) {
                    MemorySegment g = random(arena, n, rnd, -1, 1);
                    Adam.step(p1, g, m1, v1, n, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
                    AdamScalar.step(p2, g, m2, v2, n, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
                    assertClose(m1, m2, n, 1e-6, "m n=" + n + " step " + step);
                    assertClose(v1, v2, n, 1e-6, "v n=" + n + " step " + step);
                    assertClose(p1, p2, n, 1e-6, "param n=" + n + " step " + step);
                }
            }
        }
    }

    @Test
    void firstStepMovesByLearningRate() {
        // At step 1 m̂ = g and v̂ = g², so without decay each weight moves by lr·sign(g).
        try (Arena arena = Arena.ofConfined()) {
            int n = 19;
            MemorySegment p = alloc(arena, n), g = alloc(arena, n), m = alloc(arena, n), v = alloc(arena, n);
            for (int i = 0; i < n; i++) g.setAtIndex(F, i, (i % 2 == 0 ? 1 : -1) * (0.1f + i));
            Adam.step(p, g, m, v, n, 0.5f, 0.9f, 0.999f, 1e-8f, 0f, 1);
            for (int i = 0; i < n; i++) assertEquals(i % 2 == 0 ? -0.5f : 0.5f, p.getAtIndex(F, i), 1e-5, "p" + i);
            assertThrows(IllegalArgumentException.class, () -> Adam.step(p, g, m, v, n, 0.5f, 0.9f, 0.999f, 1e-8f, 0f, 0));
        }
    }
}
