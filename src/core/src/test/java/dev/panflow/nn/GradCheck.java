package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences for float32 layers: L(θ) = Σ w·y is accumulated in double, and
 * each checked coordinate of θ is nudged by ±eps. Compares with the analytic gradient.
 */
final class GradCheck {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private GradCheck() {}

    static double weightedSum(MemorySegment y, MemorySegment w, long n) {
        double s = 0;
        for (long i = 0; i < n; i++) s += (double) y.getAtIndex(F32, i) * w.getAtIndex(F32, i);
        return s;
    }

    /**
     * Checks {@code count} coordinates (spread over the buffer) of {@code theta} against
     * {@code analytic}. {@code loss} recomputes the forward pass and L.
     */
    static void check(String what, MemorySegment theta, MemorySegment analytic, long n, int count, DoubleSupplier loss) {
        double eps = 1e-2;
        int checked = 0;
        double worst = 0;
        for (int j = 0; j < count && j < n; j++) {
            long i = count >= n ? j : (j * 7919L) % n;
            float orig = theta.getAtIndex(F32, i);
            theta.setAtIndex(F32, i, orig + (float) eps);
            double up = loss.getAsDouble();
            theta.setAtIndex(F32, i, orig - (float) eps);
            double down = loss.getAsDouble();
            theta.setAtIndex(F32, i, orig);
            double numeric = (up - down) / (2 * eps);
            double a = analytic.getAtIndex(F32, i);
            double err = Math.abs(a - numeric) / Math.max(0.05, Math.max(Math.abs(a), Math.abs(numeric)));
            worst = Math.max(worst, err);
            assertTrue(err < 2e-2, what + "[" + i + "]: analytic " + a + " vs finite difference " + numeric);
            checked++;
        }
        assertTrue(checked > 0, "nothing checked");
    }
}
