package dev.panflow.path;

import static org.junit.jupiter.api.Assertions.*;

import dev.panflow.ode.Dopri5;
import dev.panflow.ode.Euler;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.SolveStats;
import dev.panflow.ode.VelocityField;
import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Integrating the conditional field u_t(·|x1) from ψ_0(x0) must land on ψ_t(x0) (Theorem 3). */
class ConditionalFlowTest {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final int ROWS = 16, DIM = 2;

    record Field(AffinePath path, float[] x1) implements VelocityField {
        @Override public int dim() { return DIM; }

        @Override
        public void eval(float t, MemorySegment x, MemorySegment out, int rows) {
            for (int i = 0; i < rows * DIM; i++)
                out.setAtIndex(F32, i, (float) path.conditionalVelocity(x.getAtIndex(F32, i), x1[i], t));
        }
    }

    /** Returns {max relative error, nfe}. */
    static double[] integrate(AffinePath p, OdeSolver solver, float tEnd) {
        Rng rng = new Rng(9);
        Scheduler s = p.scheduler();
        float[] x0 = new float[ROWS * DIM], x1 = new float[ROWS * DIM];
        for (int i = 0; i < x0.length; i++) {
            x0[i] = (float) rng.nextGaussian();
            x1[i] = 8 * rng.nextFloat() - 4;
        }
        try (Arena arena = Arena.ofConfined(); solver) {
            MemorySegment x = arena.allocate(4L * x0.length);
            for (int i = 0; i < x0.length; i++) x.setAtIndex(F32, i, (float) (s.sigma(0) * x0[i] + s.alpha(0) * x1[i]));
            SolveStats st = solver.solve(new Field(p, x1), x, ROWS, 0f, tEnd);
            double err = 0;
            for (int i = 0; i < x0.length; i++) {
                double want = s.sigma(tEnd) * x0[i] + s.alpha(tEnd) * x1[i];
                err = Math.max(err, Math.abs(x.getAtIndex(F32, i) - want) / (1 + Math.abs(want)));
            }
            return new double[] {err, st.nfe()};
        }
    }

    @Test
    void otConditionalFlowIsAStraightLineSoOneEulerStepIsExact() {
        double[] r = integrate(Paths.byName("ot"), new Euler(1), 1f);
        assertTrue(r[0] < 1e-5, "error " + r[0]);
    }

    @Test
    void dopri5FollowsEveryConditionalPath() {
        for (String n : new String[] {"ot", "vp", "ve", "cosine", "poly"}) {
            AffinePath p = Paths.byName(n);
            // Cosine and poly reach σ = 0 at t = 1, where u_t(x|x1) divides by zero.
            float tEnd = p.scheduler().sigma(p.tMax()) > 1e-6 ? p.tMax() : 0.99f;
            double[] r = integrate(p, new Dopri5(1e-5, 1e-5), tEnd);
            System.err.printf("conditional %s to t=%s: dopri5 nfe %d, error %.2e%n", n, tEnd, (int) r[1], r[0]);
            assertTrue(r[0] < 1e-3, n + " error " + r[0]);
        }
    }
}
