package dev.panflow.ode;

import dev.panflow.kernels.Elementwise;
import java.lang.foreign.MemorySegment;

/**
 * Classic RK4: k1 = v_t(x), k2 = v_{t+h/2}(x + h/2 k1), k3 = v_{t+h/2}(x + h/2 k2),
 * k4 = v_{t+h}(x + h k3), x ← x + h/6 (k1 + 2k2 + 2k3 + k4). Order 4.
 */
public final class Rk4 extends FixedStepSolver {
    private final float[] half = new float[1], full = new float[1], fin = new float[4];

    public Rk4(int steps) { super(steps, 4, 5); }

    @Override
    void prepare(float h) {
        half[0] = h / 2;
        full[0] = h;
        fin[0] = h / 6; fin[1] = h / 3; fin[2] = h / 3; fin[3] = h / 6;
    }

    @Override
    void step(VelocityField f, MemorySegment x, MemorySegment[] buf, MemorySegment[] ks, int rows, long n, double t, double h) {
        MemorySegment k1 = buf[0], k2 = buf[1], k3 = buf[2], k4 = buf[3], y = buf[4];
        float tm = (float) (t + h / 2);
        f.eval((float) t, x, k1, rows);
        ks[0] = k1;
        Elementwise.linComb(y, x, half, ks, 1, n);
        f.eval(tm, y, k2, rows);
        ks[0] = k2;
        Elementwise.linComb(y, x, half, ks, 1, n);
        f.eval(tm, y, k3, rows);
        ks[0] = k3;
        Elementwise.linComb(y, x, full, ks, 1, n);
        f.eval((float) (t + h), y, k4, rows);
        ks[0] = k1; ks[1] = k2; ks[2] = k3; ks[3] = k4;
        Elementwise.linComb(x, x, fin, ks, 4, n);
    }

    @Override public String name() { return "rk4"; }
}
