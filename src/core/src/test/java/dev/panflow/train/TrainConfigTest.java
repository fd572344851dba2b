package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
    static TrainConfig cfg(String schedule, long warmup, long steps) {
        return new TrainConfig("checkerboard", "ot", 8, 1, "concat", 1, 4, steps, 1e-3f, schedule, warmup, 0f, 0.9f, 0f, 0, 0, "uniform", 0f);
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
    void metadataRoundTrips() {
        TrainConfig c = cfg("cosine", 3, 77);
        assertEquals(c, TrainConfig.fromMetadata(c.toMetadata(), "x"));
    }

    @Test
    void outOfRangeValuesAreRefusedWithTheLimit() {
        assertThrows(UserError.class, () -> cfg("cosine", -1, 10));
        assertThrows(UserError.class, () -> cfg("step", 0, 10));
        assertThrows(UserError.class, () -> new TrainConfig("c", "ot", 8, 1, "concat", 1, 4, 10, Float.NaN, "cosine", 0, 0f, 0.9f, 0f, 0, 0, "uniform", 0f));
        assertThrows(UserError.class, () -> new TrainConfig("c", "ot", 8, 1, "concat", 1, 0, 10, 1e-3f, "cosine", 0, 0f, 0.9f, 0f, 0, 0, "uniform", 0f));
        var e = assertThrows(InvalidParameterException.class, () -> new TrainConfig("c", "ot", 8, 1, "concat", 1, 4, 10, 1e-3f, "cosine", 0, 0f, 1.5f, 0f, 0, 0, "uniform", 0f));
        assertEquals("emaDecay must be in [0, 1), got 1.5", e.getMessage());
        assertEquals("emaDecay", e.parameter());
    }
}
