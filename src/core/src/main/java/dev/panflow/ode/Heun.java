package dev.panflow.ode;

import dev.panflow.kernels.Elementwise;
import java.lang.foreign.MemorySegment;

/** Heun (explicit trapezoid): k1 = v_t(x), k2 = v_{t+h}(x + h·k1), x ← x + h/2·(k1 + k2). Order 2. */
public final class Heun extends FixedStepSolver {
    private final float[] predict = new float[1], correct = new float[2];

    public Heun(int steps) { super(steps, 2, 3); }

    @Override void prepare(float h) { predict[0] = h; correct[0] = h / 2; correct[1] = h / 2; }

    @Override
    void step(VelocityField f, MemorySegment x, MemorySegment[] buf, MemorySegment[] ks, int rows, long n, double t, double h) {
        MemorySegment k1 = buf[0], k2 = buf[1], y = buf[2];
        f.eval((float) t, x, k1, rows);
        ks[0] = k1;
        ks[1] = k2;
        Elementwise.linComb(y, x, predict, ks, 1, n);
        f.eval((float) (t + h), y, k2, rows);
        Elementwise.linComb(x, x, correct, ks, 2, n);
    }

    @Override public String name() { return "heun"; }
}
