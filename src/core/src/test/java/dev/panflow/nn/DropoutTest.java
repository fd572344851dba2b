package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.InvalidParameterException;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Dropout's masks: their values and rate, their keys (seed, step, layer, global row), and that threads do not change them. */
class DropoutTest {
    static final int WIDTH = 37; // odd: the last value of a row takes a draw of its own

    /** The masks of {@code n} images drawn at (step, firstRow), applied to ones (so the result is the mask itself). */
    static float[] masks(Pool pool, float p, long seed, int layer, int n, long step, long firstRow) {
        try (Workspace ws = new Workspace()) {
            Dropout d = new Dropout(p, seed, layer, WIDTH, pool);
            d.reserve(ws, n);
            Tensor x = ws.tensor(n, WIDTH);
            dev.panflow.kernels.Elementwise.fill(x.segment(), 1f, x.size());
            d.draw(x.segment(), n, step, firstRow);
            float[] out = x.toArray();
            for (int i = 0; i < out.length; i++) assertEquals(out[i], d.mask().getAtIndex(JvpTest.F, i), 0f, "draw wrote x·m");
            return out;
        }
    }

    @Test
    void maskValuesAreZeroOrTheInverseKeepRateAtRateP() {
        float p = 0.3f;
        float[] m = masks(null, p, 5, 0, 400, 1, 0);
        int zeros = 0;
        for (float v : m) {
            assertTrue(v == 0f || v == 1f / (1f - p), "mask value " + v);
            if (v == 0f) zeros++;
        }
        double n = m.length, sd = Math.sqrt(n * p * (1 - p));
        assertEquals(p * n, zeros, 5 * sd, zeros + " zeros of " + m.length);
    }

    @Test
    void theSameKeyGivesTheSameMaskAndEveryPartOfTheKeyMatters() {
        float[] a = masks(null, 0.5f, 1, 2, 3, 7, 10);
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(masks(null, 0.5f, 1, 2, 3, 7, 10)));
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(masks(null, 0.5f, 2, 2, 3, 7, 10)), "seed");
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(masks(null, 0.5f, 1, 3, 3, 7, 10)), "layer");
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(masks(null, 0.5f, 1, 2, 3, 8, 10)), "step");
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(masks(null, 0.5f, 1, 2, 3, 7, 11)), "row");
        // images of one pass differ from each other
        assertNotEquals(java.util.Arrays.toString(java.util.Arrays.copyOfRange(a, 0, WIDTH)),
                java.util.Arrays.toString(java.util.Arrays.copyOfRange(a, WIDTH, 2 * WIDTH)));
    }

    /** Image r's mask depends on its global row, not on which pass (rank, chunk) holds it. */
    @Test
    void rowsAreKeyedByTheirPlaceInTheGlobalBatch() {
        float[] all = masks(null, 0.25f, 9, 1, 5, 3, 0), tail = masks(null, 0.25f, 9, 1, 2, 3, 3);
        for (int i = 0; i < tail.length; i++) assertEquals(all[3 * WIDTH + i], tail[i], 0f, "value " + i);
    }

    @Test
    void threadCountLeavesTheMasks() {
        float[] serial = masks(null, 0.2f, 4, 0, 64, 2, 0);
        for (int threads : new int[] {1, 2, 3})
            try (Pool pool = new Pool(threads)) {
                float[] m = masks(pool, 0.2f, 4, 0, 64, 2, 0);
                for (int i = 0; i < m.length; i++) assertEquals(serial[i], m[i], 0f, threads + " threads, value " + i);
            }
    }

    @Test
    void applyMultipliesByTheLastMask() {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2)) {
            int n = 3;
            Dropout d = new Dropout(0.4f, 3, 0, WIDTH, pool);
            d.reserve(ws, n);
            Tensor x = ws.tensor(n, WIDTH), g = ws.tensor(n, WIDTH);
            Rng rng = new Rng(1);
            rng.fillGaussian(x.segment(), x.size(), 1f);
            rng.fillGaussian(g.segment(), g.size(), 1f);
            float[] x0 = x.toArray(), g0 = g.toArray();
            d.draw(x.segment(), n, 1, 0);
            d.apply(g.segment(), n);
            MemorySegment m = d.mask();
            for (int i = 0; i < n * WIDTH; i++) {
                float mi = m.getAtIndex(JvpTest.F, i);
                assertEquals(x0[i] * mi, x.get(i), 0f, "x " + i);
                assertEquals(g0[i] * mi, g.get(i), 0f, "g " + i);
            }
        }
    }

    @Test
    void badProbabilitiesAreRefused() {
        for (float p : new float[] {-0.1f, 1f, 1.5f, Float.NaN}) {
            InvalidParameterException e = assertThrows(InvalidParameterException.class, () -> Dropout.check(p));
            assertEquals("dropout", e.parameter());
            assertEquals("dropout must be in [0, 1), got " + p, e.getMessage());
        }
        Dropout.check(0f);
        Dropout.check(0.99f);
        assertThrows(IllegalArgumentException.class, () -> new Dropout(0f, 1, 0, 4, null), "p = 0 is no dropout layer");
    }
}
