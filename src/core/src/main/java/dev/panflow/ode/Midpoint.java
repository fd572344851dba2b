package dev.panflow.ode;

import dev.panflow.kernels.Elementwise;
import java.lang.foreign.MemorySegment;

/** Explicit midpoint: k1 = v_t(x), k2 = v_{t+h/2}(x + h/2·k1), x ← x + h·k2. Order 2. */
public final class Midpoint extends FixedStepSolver {
    private final float[] half = new float[1], full = new float[1];

    public Midpoint(int steps) { super(steps, 2, 2); }

    @Override void prepare(float h) { half[0] = h / 2; full[0] = h; }

    @Override
    void step(VelocityField f, MemorySegment x, MemorySegment[] buf, MemorySegment[] ks, int rows, long n, double t, double h) {
        MemorySegment k = buf[0], y = buf[1];
        f.eval((float) t, x, k, rows);
        ks[0] = k;
        Elementwise.linComb(y, x, half, ks, 1, n);
        f.eval((float) (t + h / 2), y, k, rows);
        Elementwise.linComb(x, x, full, ks, 1, n);
    }

    @Override public String name() { return "midpoint"; }
}
