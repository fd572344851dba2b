package dev.panflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The bar's pacing, with a clock the test moves (no sleeping). */
class ProgressBarTest {
    static final long S = 1_000_000_000L;

    static final class Clock {
        long now = 1000 * S;
        long get() { return now; }
    }

    record Bar(ProgressBar bar, ByteArrayOutputStream bytes, Clock clock) {
        String text() { return bytes.toString(StandardCharsets.UTF_8); }
        long lines() { return text().lines().count(); }
    }

    static Bar bar(boolean terminal, boolean quiet, long logEvery) {
        Clock c = new Clock();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        return new Bar(new ProgressBar("train", 1000, new PrintStream(b, true, StandardCharsets.UTF_8), terminal, quiet, logEvery, c::get), b, c);
    }

    @Test
    void aLogLineAfterTheFirstSecondThenEveryInterval() {
        Bar b = bar(false, false, 30 * S);
        b.bar().update(1, "loss 1");
        assertEquals(0, b.lines(), "nothing before 1 s");
        b.clock().now += S;
        b.bar().update(2, "loss 1");
        assertEquals(1, b.lines(), "the first line comes early");
        for (int i = 0; i < 29; i++) {
            b.clock().now += S;
            b.bar().update(3 + i, "x");
        }
        assertEquals(1, b.lines(), "then nothing until 30 s have passed");
        b.clock().now += S;
        b.bar().update(40, "x");
        assertEquals(2, b.lines());
        // a thousand updates within the interval add no line, whatever their progress
        for (int i = 41; i < 1000; i++) b.bar().update(i, "x");
        assertEquals(2, b.lines());
        b.bar().finish(1000, "done");
        assertEquals(3, b.lines());
        assertTrue(b.text().lines().toList().get(2).contains("1000/1000 100%"), b.text());
    }

    @Test
    void aTerminalRedrawsAtMostEveryHalfSecond() {
        Bar b = bar(true, false, 30 * S);
        b.bar().update(1, "x"); // the first draw at once
        assertEquals(1, b.text().split("\r", -1).length - 1);
        for (int i = 0; i < 10; i++) {
            b.clock().now += 100_000_000L; // 0.1 s
            b.bar().update(2 + i, "x");
        }
        // 1 s later: 2 more redraws (at 0.5 s and 1.0 s)
        assertEquals(3, b.text().split("\r", -1).length - 1, b.text());
        assertTrue(b.text().indexOf('\n') < 0, "redrawn in place: no newline yet");
    }

    @Test
    void theLineShowsRateRowsAndEta() {
        Bar b = bar(false, false, 30 * S);
        b.bar().rows(256, "points");
        b.clock().now += 2 * S;
        b.bar().update(100, "loss 0.5000 | lr 1.00e-03");
        String line = b.text().strip();
        assertTrue(line.startsWith("train ["), line);
        assertTrue(line.contains("100/1000  10%"), line);
        assertTrue(line.contains("loss 0.5000 | lr 1.00e-03 | 50.0 it/s | 12.8k points/s | eta 0:18"), line);
    }

    @Test
    void quietDrawsNothingButNotes() {
        Bar b = bar(false, true, 30 * S);
        b.clock().now += 100 * S;
        b.bar().update(5, "x");
        b.bar().finish(1000, "x");
        assertEquals("", b.text());
        b.bar().note("time budget 1m: ~5 steps at 1.00 steps/s");
        assertEquals(1, b.lines());
    }

    @Test
    void aNewTotalFromABudgetEstimate() {
        Bar b = bar(false, false, 30 * S);
        b.bar().total(200);
        b.clock().now += S;
        b.bar().update(50, "");
        assertTrue(b.text().contains("50/200  25%"), b.text());
    }

    @Test
    void beforeABudgetsEstimateNoTotalAndTheEtaIsTheBudgetLeft() {
        Bar b = bar(false, false, 30 * S);
        b.bar().total(0);
        b.bar().deadlineAfter(60);
        b.clock().now += 15 * S;
        b.bar().update(300, "loss 1.0000");
        String line = b.text().strip();
        assertEquals("train 300 | loss 1.0000 | 20.0 it/s | eta 0:45", line);
        b.bar().total(1200); // the estimate: 900 more steps at 20/s would be 0:45 too; the budget caps it
        b.clock().now += 30 * S;
        b.bar().update(400, "");
        assertTrue(b.text().contains("400/1200  33%") && b.text().strip().endsWith("eta 0:15"), b.text());
    }

    @Test
    void pastABudgetsEstimateTheEtaIsTheBudgetLeft() {
        Bar b = bar(false, false, 30 * S);
        b.bar().deadlineAfter(60);
        b.bar().total(100); // an estimate the run outpaces
        b.clock().now += 50 * S;
        b.bar().update(120, "");
        assertTrue(b.text().contains("120/100 100%") && b.text().strip().endsWith("eta 0:10"), b.text());
        b.bar().finish(125, "");
        assertTrue(b.text().strip().endsWith("125/100 100% | 2.50 it/s | eta 0:00"), b.text()); // the end: nothing left
    }

    @Test
    void durationsParseStrictly() {
        assertEquals(Duration.ofSeconds(90), Durations.parse("90s", "--time-budget"));
        assertEquals(Duration.ofMinutes(15), Durations.parse("15m", "--time-budget"));
        assertEquals(Duration.ofHours(1), Durations.parse("1h", "--time-budget"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("1h30m", "--time-budget"));
        for (String bad : new String[] {"", "15", "15 m", "1.5h", "-1m", "0s", "m", "15min", "1m1h"})
            assertThrows(UserError.class, () -> Durations.parse(bad, "--time-budget"), bad);
        assertEquals("15m", Durations.format(Duration.ofMinutes(15)));
        assertEquals("1m30s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("1h", Durations.format(Duration.ofHours(1)));
    }

    @Test
    void sampleProgressNamesPointsAndTheNfe() {
        Clock c = new Clock();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar("sample", 10_000, new PrintStream(b, true, StandardCharsets.UTF_8), false, false, 30 * S, c::get).unit("points");
        SampleProgress p = new SampleProgress(bar);
        p.onProgress(100, 10_000, 2);
        assertEquals("", b.toString(StandardCharsets.UTF_8), "nothing before 1 s");
        c.now += 2 * S;
        p.onProgress(5_000, 10_000, 20); // half in 2 s: 2.5k points/s, 2 s left
        assertEquals("sample [############------------] 5000/10000  50% | NFE 20 | 2.5k points/s | eta 0:02",
                b.toString(StandardCharsets.UTF_8).strip());
        c.now += S;
        p.onProgress(7_000, 10_000, 28);
        assertEquals(1, b.toString(StandardCharsets.UTF_8).lines().count(), "the next line after --log-every");
        c.now += S;
        p.finish(10_000, 40);
        assertTrue(b.toString(StandardCharsets.UTF_8).strip().endsWith("10000/10000 100% | NFE 40 | 2.5k points/s | eta 0:00"),
                b.toString(StandardCharsets.UTF_8));
    }
}
