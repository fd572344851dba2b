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

    @Test
    void aBudgetStopsTheRunWithACheckpointAndLaysTheScheduleOverTheEstimate() {
        Path out = dir.resolve("budget");
        long[] schedule = {-1};
        List<Double> lrs = new ArrayList<>();
        TrainResult r;
        try (Trainer t = TrainerTest.small(DataSets.builtIn("checkerboard")).steps(100_000_000).warmup(10)
                .checkpointEvery(0).timeBudget(Duration.ofSeconds(2)).out(out).build()) {
            r = t.run(new ProgressListener() {
                @Override
                public void onSchedule(Duration budget, long estimatedSteps, double stepsPerSecond) {
                    assertEquals(Duration.ofSeconds(2), budget);
                    assertTrue(stepsPerSecond > 0);
                    schedule[0] = estimatedSteps;
                }

                @Override
                public void onStep(long step, long total, double loss, double smoothed, double lr, double gradNorm) {
                    lrs.add(lr);
                    assertTrue(gradNorm > 0, "grad norm " + gradNorm);
                }
            });
        }
        assertFalse(r.stopped());
        assertTrue(schedule[0] > 20 && schedule[0] < 100_000_000, "estimate " + schedule[0]);
        assertTrue(r.step() <= schedule[0] && r.step() > 20, "stopped at " + r.step());
        assertTrue(Files.exists(out.resolve("model.safetensors")));
        Map<String, String> m = meta(out.resolve("model.safetensors"));
        assertEquals(Long.toString(schedule[0]), m.get("schedule_steps"));
        assertEquals(2.0, Double.parseDouble(m.get("time_budget_s")));
        assertEquals(Long.toString(r.step()), m.get("step"));
        if (r.step() == schedule[0]) // the schedule ran out: the last lr is the floor lr/10
            assertEquals(8e-4, lrs.getLast(), 1e-6);
    }

    @Test
    void aResumedRunContinuesTheRecordedSchedule() {
        Path out = dir.resolve("resume");
        long[] schedule = {-1};
        long stoppedAt;
        // Stop by hand a few steps after the estimate, as Ctrl-C would.
        try (Trainer t = TrainerTest.small(DataSets.builtIn("checkerboard")).steps(100_000_000).warmup(10)
                .checkpointEvery(0).timeBudget(Duration.ofSeconds(2)).out(out).build()) {
            TrainResult r = t.run(new ProgressListener() {
                @Override
                public void onSchedule(Duration budget, long estimatedSteps, double stepsPerSecond) { schedule[0] = estimatedSteps; }

                @Override
                public void onStep(long step, long total, double loss, double smoothed, double lr, double gradNorm) {
                    if (schedule[0] > 0 && step >= schedule[0] / 2) t.requestStop();
                }
            });
            assertTrue(r.stopped());
            stoppedAt = r.step();
        }
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
