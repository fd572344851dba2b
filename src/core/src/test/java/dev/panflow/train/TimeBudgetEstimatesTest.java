package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimeBudgetEstimatesTest {
    static final long S = 1_000_000_000L;

    static List<Long> run(TimeBudget b, java.util.function.LongToDoubleFunction ms, long[] endStep) {
        return run(b, ms, endStep, Long.MAX_VALUE);
    }

    /** Steps of {@code ms(k)} milliseconds from time 0 until the budget or {@code cap}: the estimates made, in order. */
    static List<Long> run(TimeBudget b, java.util.function.LongToDoubleFunction ms, long[] endStep, long cap) {
        List<Long> estimates = new ArrayList<>();
        long now = 0, k = 0;
        while (!b.over(now) && k < cap) {
            now += (long) (ms.applyAsDouble(k) * 1e6);
            k++;
            if (b.afterStep(k, now)) estimates.add(b.estimate());
        }
        endStep[0] = k;
        return estimates;
    }

    @Test
    void aSteadyRateIsEstimatedExactlyFromTheFirstEstimateOn() {
        long[] end = {0};
        List<Long> e = run(new TimeBudget(0, 60 * S, 100, Long.MAX_VALUE), k -> 10, end); // 100 steps/s
        assertEquals(6000, end[0]);
        assertEquals(5, e.size());
        for (long est : e) assertEquals(6000, est, 2, e.toString());
    }

    @Test
    void theLaterEstimatesFollowARisingRate() {
        long[] end = {0};
        // 30 s at 10 steps/s, then 30 s at 40: 300 + 1200 steps.
        List<Long> e = run(new TimeBudget(0, 60 * S, 20, Long.MAX_VALUE), k -> k < 300 ? 100 : 25, end);
        assertEquals(1500, end[0]);
        assertTrue(e.getFirst() < 700, e.toString());
        assertEquals(1500, e.getLast(), 5, "the 90 % estimate is made at the fast rate: " + e);
    }

    @Test
    void noEstimateBeforeTheWarmupOrTwentySteps() {
        TimeBudget b = new TimeBudget(0, 10 * S, 50, Long.MAX_VALUE);
        // one step a second: 5 % (0.5 s) is passed at once, but 50 steps take 50 s, past the budget
        for (long k = 1; k <= 10; k++) assertFalse(b.afterStep(k, k * S), "step " + k);
        assertFalse(b.estimated());
        assertTrue(b.over(10 * S));
        assertFalse(b.over(10 * S - 1));
    }

    @Test
    void aSlowStepThatPassesSeveralMarksMakesOneEstimate() {
        TimeBudget b = new TimeBudget(0, 100 * S, 20, Long.MAX_VALUE);
        assertFalse(b.afterStep(1, 3 * S));          // the rate is measured from here (past 2.5 %)
        assertTrue(b.afterStep(30, 60 * S));          // 29 steps in 57 s; passes 5, 25 and 50 %
        assertEquals(30 + (long) (29 / 57.0 * 40), b.estimate());
        assertFalse(b.afterStep(40, 70 * S));         // 75 % is next
        assertTrue(b.afterStep(60, 80 * S));
        assertTrue(b.afterStep(90, 91 * S));          // 90 %
        assertFalse(b.afterStep(200, 99 * S));        // no more
    }

    @Test
    void theCapBoundsTheEstimate() {
        long[] end = {0};
        List<Long> e = run(new TimeBudget(0, 10 * S, 20, 500), k -> 1, end, 500); // 1000 steps/s, at most 500
        assertEquals(500, end[0]);
        assertEquals(1, e.size(), e.toString());
        assertEquals(500, e.getFirst());
    }
}
