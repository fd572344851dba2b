package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
    static TrainConfig cfg(String schedule, long warmup, long steps) {
        return new TrainConfig("checkerboard", "ot", 8, 1, "concat", 1, 4, steps, 1e-3f, LrSchedule.byName(schedule), warmup, 0f, 0.9f, 0f, 0, 0, TimeSampling.UNIFORM, 0f);
    }

    @Test
    void warmupThenCosineDecayToATenth() {
        TrainConfig c = cfg("cosine", 10, 110);
        assertEquals(1e-4f, c.lrAt(1), 1e-9);
        assertEquals(1e-3f, c.lrAt(10), 1e-9);
        assertEquals(0.55e-3f, c.lrAt(60), 1e-8); // halfway through the decay
        assertEquals(1e-4f, c.lrAt(110), 1e-9);
        assertEquals(1e-3f, cfg("constant", 0, 50).lrAt(37), 0);
    }

    @Test
    void aReLaidScheduleContinuesTheDecayWithoutAJump() {
        TrainConfig c = cfg("cosine", 10, 1_000_000);
        for (long k = 1; k <= 300; k++) assertEquals(c.lrAt(k, 200), c.lrAt(k, 200, 0, 0), "the default anchor is the plain schedule");
        // estimated 200 steps, then at step 150 (decay 0.7 of the way) 400: the lr goes on falling from where it is
        double p = c.decayProgress(150, 200, 0, 0);
        assertEquals(140 / 190.0, p, 1e-12);
        assertEquals(c.lrAt(150, 200), c.lrAt(150, 400, 150, p), 1e-9);
        float prev = c.lrAt(150, 400, 150, p);
        for (long k = 151; k <= 400; k++) {
            float lr = c.lrAt(k, 400, 150, p);
            assertTrue(lr <= prev, "step " + k + ": " + lr + " > " + prev);
            prev = lr;
        }
        assertEquals(1e-4f, c.lrAt(400, 400, 150, p), 1e-9); // the floor at the new horizon
        assertTrue(c.lrAt(160, 200) < c.lrAt(160, 400, 150, p), "and decays more slowly than the old estimate would");
        // the plain schedule laid over 400 from the start would have jumped up at step 150:
        assertTrue(c.lrAt(151, 400) > 1.5 * c.lrAt(150, 200));
    }

    @Test
    void metadataRoundTrips() {
        TrainConfig c = cfg("cosine", 3, 77);
        assertEquals(c, TrainConfig.fromMetadata(c.toMetadata(), "x"));
    }

    @Test
    void outOfRangeValuesAreRefusedWithTheLimit() {
        assertThrows(UserError.class, () -> cfg("cosine", -1, 10));
        assertThrows(UserError.class, () -> cfg("step", 0, 10));
        assertThrows(UserError.class, () -> new TrainConfig("c", "ot", 8, 1, "concat", 1, 4, 10, Float.NaN, LrSchedule.COSINE, 0, 0f, 0.9f, 0f, 0, 0, TimeSampling.UNIFORM, 0f));
        assertThrows(UserError.class, () -> new TrainConfig("c", "ot", 8, 1, "concat", 1, 0, 10, 1e-3f, LrSchedule.COSINE, 0, 0f, 0.9f, 0f, 0, 0, TimeSampling.UNIFORM, 0f));
        var e = assertThrows(InvalidParameterException.class, () -> new TrainConfig("c", "ot", 8, 1, "concat", 1, 4, 10, 1e-3f, LrSchedule.COSINE, 0, 0f, 1.5f, 0f, 0, 0, TimeSampling.UNIFORM, 0f));
        assertEquals("emaDecay must be in [0, 1), got 1.5", e.getMessage());
        assertEquals("emaDecay", e.parameter());
    }
}
