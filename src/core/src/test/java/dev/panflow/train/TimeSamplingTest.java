package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import org.junit.jupiter.api.Test;

class TimeSamplingTest {
    static double fractionBetween(Tensor t, double lo, double hi) {
        int in = 0;
        for (int i = 0; i < t.size(); i++) if (t.get(i) >= lo && t.get(i) < hi) in++;
        return (double) in / t.size();
    }

    @Test
    void drawsStayInRangeWithTheRightShape() {
        int n = 100_000;
        float tMax = 0.999f;
        try (Workspace ws = new Workspace()) {
            Tensor t = ws.tensor(n);
            TimeSampling.UNIFORM.fill(new Rng(1), t.segment(), n, tMax, 0f);
            assertEquals(1.0, fractionBetween(t, 0, tMax), 0);
            assertEquals(0.5, fractionBetween(t, 0.25 * tMax, 0.75 * tMax), 0.01);
            TimeSampling.LOGIT_NORMAL.fill(new Rng(1), t.segment(), n, tMax, 0f);
            assertEquals(1.0, fractionBetween(t, 0, tMax), 0);
            // t/tMax ∈ [¼, ¾] ⇔ |z| < ln 3, probability 0.7281 for z ~ N(0, 1).
            assertEquals(0.7281, fractionBetween(t, 0.25 * tMax, 0.75 * tMax), 0.01);
            assertEquals(0.5, fractionBetween(t, 0, 0.5 * tMax), 0.01);
            // Location m = 1: P(t < tMax/2) = P(z < −1) = 0.1587.
            TimeSampling.LOGIT_NORMAL.fill(new Rng(2), t.segment(), n, tMax, 1f);
            assertEquals(0.1587, fractionBetween(t, 0, 0.5 * tMax), 0.01);
        }
    }

    @Test
    void unknownNameIsRefused() {
        assertEquals(TimeSampling.LOGIT_NORMAL, TimeSampling.byName("logit-normal"));
        UserError e = assertThrows(UserError.class, () -> TimeSampling.byName("beta"));
        assertTrue(e.getMessage().contains("uniform or logit-normal"), e.getMessage());
    }
}
