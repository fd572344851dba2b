package dev.panflow.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.InvalidParameterException;
import dev.panflow.io.Safetensors;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimeBudgetTest {
    @TempDir
    Path dir;

    static Map<String, String> meta(Path file) {
        try (Arena a = Arena.ofConfined()) {
            return Safetensors.read(file, a).metadata();
        }
    }

    /**
     * A clock that the run's own steps move: each step takes {@code slowMs} for the first
     * {@code slowSteps} (a JIT warming up, a busy machine) and {@code fastMs} after, so a budget
     * run is timed exactly and never waits.
     */
    static final class StepClock {
        final long[] now = {1_000_000_000L};
        final long slowSteps;
        final double slowMs, fastMs;

        StepClock(long slowSteps, double slowMs, double fastMs) {
            this.slowSteps = slowSteps;
            this.slowMs = slowMs;
            this.fastMs = fastMs;
        }

        long read() { return now[0]; }

        /** Called from onStep: the time step {@code step + 1} takes passes (the first step takes none). */
        void advancePast(long step) { now[0] += (long) ((step + 1 <= slowSteps ? slowMs : fastMs) * 1e6); }
    }

    @Test
    void aBudgetRunsToItsEndEvenWhenTheRateRisesAfterTheEstimates() {
        // 100 slow steps (20 ms) then fast ones (5 ms) in a 10 s budget: the first version estimated
        // ~875 steps at 25 % and stopped there, at 59 % of the budget. Now: at the budget.
        Path out = dir.resolve("budget");
        StepClock clock = new StepClock(100, 20, 5);
        List<Long> estimates = new ArrayList<>();
        List<Double> lrs = new ArrayList<>();
        long[] lastTotal = {0};
        TrainResult r;
        try (Trainer t = TrainerTest.small(DataSets.builtIn("checkerboard")).steps(100_000_000).warmup(10)
                .checkpointEvery(0).timeBudget(Duration.ofSeconds(10)).out(out).clock(clock::read).build()) {
            long began = clock.read();
            r = t.run(new ProgressListener() {
                @Override
                public void onSchedule(Duration budget, long estimatedSteps, double stepsPerSecond) {
                    assertEquals(Duration.ofSeconds(10), budget);
                    assertTrue(stepsPerSecond > 0);
                    estimates.add(estimatedSteps);
                }

                @Override
                public void onStep(long step, long total, double loss, double smoothed, double lr, double gradNorm) {
                    lrs.add(lr);
                    lastTotal[0] = total;
                    assertTrue(gradNorm > 0, "grad norm " + gradNorm);
                    clock.advancePast(step);
                }
            });
            double seconds = (clock.read() - began) * 1e-9;
            assertTrue(seconds >= 10 && seconds <= 10.03, "ended after " + seconds + " s of a 10 s budget");
        }
        assertFalse(r.stopped());
        assertTrue(r.budgetReached());
        // 100 steps in 1.98 s (steps 2..100), then 8.02 s at 200 steps/s: 1704 steps (±1 for where the budget falls).
        assertEquals(1704, r.step(), 1);
        assertEquals(5, estimates.size(), "estimates at 5, 25, 50, 75 and 90 %: " + estimates);
        assertTrue(estimates.get(0) < 1000, "the first estimate sees the slow steps: " + estimates);
        assertEquals(r.step(), estimates.getLast(), 0.02 * r.step(), "the last estimate, at the steady rate: " + estimates);
        assertEquals(estimates.getLast(), lastTotal[0], "the listener's total: the last estimate");
        Map<String, String> m = meta(out.resolve("model.safetensors"));
        assertEquals(Long.toString(estimates.getLast()), m.get("schedule_steps"));
        assertEquals(10.0, Double.parseDouble(m.get("time_budget_s")));
        assertEquals(Long.toString(r.step()), m.get("step"));
        assertEquals(8e-4, lrs.getLast(), 1e-4, "the schedule has (all but) decayed to lr/10 at the end");
        for (int i = 11; i < lrs.size(); i++) // after the warm-up the lr only falls, whatever the estimates did
            assertTrue(lrs.get(i) <= lrs.get(i - 1), "lr rose at step " + (i + 1) + ": " + lrs.get(i - 1) + " -> " + lrs.get(i));
        assertTrue(Long.parseLong(m.get("schedule_from_step")) > 0, m.toString());
    }

    @Test
    void aSlowingRunStopsAtTheBudgetBeforeItsEstimate() {
        StepClock clock = new StepClock(400, 5, 20); // fast, then slow: the estimates overshoot
        List<Long> estimates = new ArrayList<>();
        TrainResult r;
        try (Trainer t = TrainerTest.small(DataSets.builtIn("checkerboard")).steps(100_000_000).warmup(10)
                .checkpointEvery(0).timeBudget(Duration.ofSeconds(10)).clock(clock::read).build()) {
            r = t.run(new ProgressListener() {
                @Override
                public void onSchedule(Duration budget, long estimatedSteps, double stepsPerSecond) { estimates.add(estimatedSteps); }

                @Override
                public void onStep(long step, long total, double loss, double smoothed, double lr, double gradNorm) { clock.advancePast(step); }
            });
        }
        assertTrue(r.budgetReached());
        assertEquals(400 + 400, r.step(), 1); // 1.995 s fast, 8.005 s at 50 steps/s
        assertTrue(estimates.getFirst() > 1500, "the first estimate expected the fast rate: " + estimates);
    }

    @Test
    void stepsStaysAnUpperBoundOfABudgetRun() {
        StepClock clock = new StepClock(0, 1, 1);
        try (Trainer t = TrainerTest.small(DataSets.builtIn("checkerboard")).steps(300).warmup(10)
                .checkpointEvery(0).timeBudget(Duration.ofSeconds(10)).clock(clock::read).build()) {
            TrainResult r = t.run(new ProgressListener() {
                @Override
                public void onStep(long step, long total, double loss, double smoothed, double lr, double gradNorm) { clock.advancePast(step); }
            });
            assertEquals(300, r.step());
            assertFalse(r.budgetReached());
        }
    }

    @Test
    void aResumedRunContinuesTheRecordedSchedule() {
        Path out = dir.resolve("resume");
        long[] schedule = {-1};
        long stoppedAt;
        StepClock clock = new StepClock(0, 2, 2);
        // Stop by hand a few steps after the first estimate, as Ctrl-C would.
        try (Trainer t = TrainerTest.small(DataSets.builtIn("checkerboard")).steps(100_000_000).warmup(10)
                .checkpointEvery(0).timeBudget(Duration.ofSeconds(2)).out(out).clock(clock::read).build()) {
            TrainResult r = t.run(new ProgressListener() {
                @Override
                public void onSchedule(Duration budget, long estimatedSteps, double stepsPerSecond) { schedule[0] = estimatedSteps; }

                @Override
                public void onStep(long step, long total, double loss, double smoothed, double lr, double gradNorm) {
                    clock.advancePast(step);
                    if (schedule[0] > 0 && step >= schedule[0] / 10) t.requestStop();
                }
            });
            assertTrue(r.stopped());
            stoppedAt = r.step();
        }
        assertEquals(1000, schedule[0], 1, "2 s at 2 ms a step");
        assertTrue(stoppedAt < schedule[0], stoppedAt + " vs " + schedule[0]);
        long[] heard = {-1, -1};
        double[] lastLr = {0};
        try (Trainer t = TrainerTest.small(DataSets.builtIn("checkerboard")).steps(100_000_000).warmup(10)
                .checkpointEvery(0).out(out).resume(true).build()) {
            TrainResult r = t.run(new ProgressListener() {
                @Override
                public void onSchedule(Duration budget, long estimatedSteps, double stepsPerSecond) {
                    heard[0] = estimatedSteps;
                    assertTrue(Double.isNaN(stepsPerSecond));
                }

                @Override
                public void onStep(long step, long total, double loss, double smoothed, double lr, double gradNorm) {
                    heard[1] = total;
                    lastLr[0] = lr;
                }
            });
            assertEquals(schedule[0], heard[0]);
            assertEquals(schedule[0], heard[1]);
            assertEquals(schedule[0], r.step(), "the resumed run ends where the recorded schedule does");
            assertEquals(8e-4, lastLr[0], 1e-6);
        }
    }

    @Test
    void aResumeContinuesAReLaidSchedule() {
        Path out = dir.resolve("relaid");
        StepClock clock = new StepClock(100, 20, 5);
        List<Long> estimates = new ArrayList<>();
        double[] lastLr = {0};
        try (Trainer t = TrainerTest.small(DataSets.builtIn("checkerboard")).steps(100_000_000).warmup(10)
                .checkpointEvery(0).timeBudget(Duration.ofSeconds(10)).out(out).clock(clock::read).build()) {
            t.run(new ProgressListener() {
                @Override
                public void onSchedule(Duration budget, long estimatedSteps, double stepsPerSecond) { estimates.add(estimatedSteps); }

                @Override
                public void onStep(long step, long total, double loss, double smoothed, double lr, double gradNorm) {
                    clock.advancePast(step);
                    lastLr[0] = lr;
                    if (estimates.size() == 3) t.requestStop(); // after the 50 % estimate re-laid the schedule
                }
            });
        }
        Map<String, String> m = meta(out.resolve("model.safetensors"));
        assertTrue(m.containsKey("schedule_from_step") && m.containsKey("schedule_from_progress"), m.toString());
        double[] firstLr = {Double.NaN};
        long[] end = {0};
        try (Trainer t = TrainerTest.small(DataSets.builtIn("checkerboard")).steps(100_000_000).warmup(10)
                .checkpointEvery(0).out(out).resume(true).build()) {
            end[0] = t.run(new ProgressListener() {
                @Override
                public void onStep(long step, long total, double loss, double smoothed, double lr, double gradNorm) {
                    if (Double.isNaN(firstLr[0])) firstLr[0] = lr;
                }
            }).step();
        }
        assertTrue(firstLr[0] <= lastLr[0] && firstLr[0] > 0.98 * lastLr[0], lastLr[0] + " then " + firstLr[0]);
        assertEquals(estimates.getLast(), end[0], "the resumed run ends at the re-laid horizon");
    }

    @Test
    void noBudgetKeepsTheScheduleOverSteps() {
        Path out = dir.resolve("plain");
        try (Trainer t = TrainerTest.small(DataSets.builtIn("checkerboard")).steps(30).out(out).build()) {
            t.run(ProgressListener.NONE);
        }
        Map<String, String> m = meta(out.resolve("model.safetensors"));
        assertFalse(m.containsKey("schedule_steps"));
        assertFalse(m.containsKey("time_budget_s"));
    }

    @Test
    void badBudgetsAreRefusedByName() {
        var e = assertThrows(InvalidParameterException.class, () -> Trainer.builder().timeBudget(Duration.ZERO));
        assertEquals(List.of("timeBudget"), e.parameters());
    }
}
