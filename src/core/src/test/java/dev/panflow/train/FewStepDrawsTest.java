package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The (t, h) draws of MeanFlow: inside the unit interval, 75 % of rows with h = 0, the paper's logit-normal location. */
class FewStepDrawsTest {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Test
    void meanFlowTimesFollowThePapersSampling() {
        int n = 40000;
        try (Workspace ws = new Workspace()) {
            Tensor t = ws.tensor(n), h = ws.tensor(n);
            MeanFlowLoss.drawTimes(new Rng(1), t.segment(), h.segment(), n);
            int zero = 0;
            double meanEnd = 0;
            for (int r = 0; r < n; r++) {
                float tr = t.get(r), hr = h.get(r);
                assertTrue(tr >= 0 && hr >= 0 && tr + hr <= 1 + 1e-6f, "row " + r + ": t " + tr + ", h " + hr);
                if (hr == 0) zero++;
                else meanEnd += tr + hr;
            }
            assertEquals(1 - MeanFlowLoss.DISTINCT_FRACTION, zero / (double) n, 0.01, "share of rows with r = t");
            // In the paper's time the smaller of two logit-normal(−0.4, 1) draws is r: here the end t + h = 1 − r leans to the data (> ½).
            meanEnd /= n - zero;
            assertTrue(meanEnd > 0.6 && meanEnd < 0.8, "mean end time " + meanEnd);
        }
    }

    @Test
    void shortcutSplitsAQuarterOfTheBatch() {
        assertEquals(64, ShortcutLoss.consistencyRows(256));
        assertEquals(0, ShortcutLoss.consistencyRows(3));
    }
}
