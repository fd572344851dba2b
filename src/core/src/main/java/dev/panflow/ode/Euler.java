package dev.panflow.ode;

import dev.panflow.kernels.Elementwise;
import java.lang.foreign.MemorySegment;

/** Forward Euler: x ← x + h·v_t(x). Order 1, 1 NFE per step. */
public final class Euler extends FixedStepSolver {
    private final float[] c = new float[1];

    public Euler(int steps) { super(steps, 1, 1); }

    @Override void prepare(float h) { c[0] = h; }

    @Override
    void step(VelocityField f, MemorySegment x, MemorySegment[] buf, MemorySegment[] ks, int rows, long n, double t, double h) {
        f.eval((float) t, x, buf[0], rows);
        ks[0] = buf[0];
        Elementwise.linComb(x, x, c, ks, 1, n);
    }

    @Override public String name() { return "euler"; }
}
