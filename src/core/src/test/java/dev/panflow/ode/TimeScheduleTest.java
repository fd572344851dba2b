package dev.panflow.ode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.InvalidParameterException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TimeScheduleTest {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest
    @ValueSource(strings = {"uniform", "shift:3", "shift:0.25", "logit"})
    void mapsTheUnitIntervalOntoItselfMonotonicallyWithItsDerivative(String text) {
        TimeSchedule s = TimeSchedule.parse(text);
        assertEquals(text, s.toString());
        assertEquals(0, s.at(0), 1e-12);
        assertEquals(1, s.at(1), 1e-12);
        double prev = -1;
        for (int i = 0; i <= 100; i++) {
            double u = i / 100.0, v = s.at(u);
            assertTrue(v > prev, text + " not increasing at " + u);
            prev = v;
            if (i > 0 && i < 100) {
                double fd = (s.at(u + 1e-6) - s.at(u - 1e-6)) / 2e-6;
                assertEquals(fd, s.derivative(u), 1e-5 * Math.max(1, fd), text + " φ' at " + u);
            }
        }
    }

    /** SD3's shift on σ = 1 − t: σ′ = S·σ/(1 + (S − 1)·σ). S = 3 at σ = 0.5 gives σ′ = 0.75, so t = 0.25. */
    @Test
    void shiftIsTheStableDiffusion3Schedule() {
        TimeSchedule s = TimeSchedule.parse("shift:3");
        assertEquals(0.25, s.at(0.5), 1e-12);
        assertEquals(1 - 3 * 0.9 / (1 + 2 * 0.9), s.at(0.1), 1e-12);
        assertTrue(s.at(0.5) < 0.5, "S > 1 spends more steps near the noise (t = 0)");
        assertTrue(TimeSchedule.parse("shift:1").isUniform());
    }

    @Test
    void badSchedulesAreRefusedNamingTheParameter() {
        for (String bad : new String[] {"cosine", "shift:", "shift:x", "shift:0", "shift:-2", ""})
            assertEquals("timeSchedule", assertThrows(InvalidParameterException.class, () -> TimeSchedule.parse(bad)).parameter(), bad);
    }

    /** Fixed-step solvers evaluate at the grid points t0 + (t1 − t0)·φ(i/n). */
    @Test
    void eulerStepsBetweenTheGridPoints() {
        TimeSchedule s = TimeSchedule.parse("shift:3");
        List<Float> seen = new ArrayList<>();
        VelocityField f = new VelocityField() {
            @Override public int dim() { return 1; }
            @Override public void eval(float t, MemorySegment x, MemorySegment out, int rows) {
                seen.add(t);
                for (int r = 0; r < rows; r++) out.setAtIndex(F, r, 1f);
            }
        };
        try (Arena a = Arena.ofConfined(); OdeSolver e = Solvers.open(SolverKind.EULER, 4, 0, 0, 1, 0, s)) {
            MemorySegment x = a.allocate(4);
            e.solve(f, x, 1, 0.2f, 1f);
            assertEquals(4, seen.size());
            for (int i = 0; i < 4; i++) assertEquals(0.2 + 0.8 * s.at(i / 4.0), seen.get(i), 1e-6, "t_" + i);
            assertEquals(0.8f, x.getAtIndex(F, 0), 1e-6f, "the steps add up to the span");
        }
    }

    /** Adaptive solvers integrate in s: dx/dt = −2t·x from 0 to 1 still ends at x0·e^(−1). */
    @ParameterizedTest
    @ValueSource(strings = {"dopri5", "dopri5-point"})
    void adaptiveSolversSolveTheSameOdeUnderASchedule(String solver) {
        VelocityField f = new VelocityField() {
            @Override public int dim() { return 1; }
            @Override public void eval(float t, MemorySegment x, MemorySegment out, int rows) {
                for (int r = 0; r < rows; r++) out.setAtIndex(F, r, -2f * t * x.getAtIndex(F, r));
            }
        };
        for (String sched : new String[] {"shift:3", "logit"})
            try (Arena a = Arena.ofConfined(); OdeSolver o = Solvers.open(SolverKind.parse(solver), 0, 1e-7, 1e-7, 10000, 0, TimeSchedule.parse(sched))) {
                MemorySegment x = a.allocate(12);
                for (int r = 0; r < 3; r++) x.setAtIndex(F, r, r + 1f);
                o.solve(f, x, 3, 0f, 1f);
                for (int r = 0; r < 3; r++) assertEquals((r + 1) * Math.exp(-1), x.getAtIndex(F, r), 1e-5, solver + " " + sched + " row " + r);
            }
    }
}
