package dev.panflow.cuda;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.ode.SolveStats;
import java.util.Locale;

/**
 * The fixed-step solvers of {@code dev.panflow.ode} (Euler, midpoint, Heun, RK4) on device
 * vectors: the same stages and coefficients, the stage updates x + Σ c_j k_j in one kernel.
 * Time is kept in double and t_i = t0 + i·h, as on the JVM.
 */
public final class CudaOdeSolver implements AutoCloseable {
    /** v_t(x) on device rows: out[rows × dim] = v_t(x[rows × dim]). */
    public interface Field {
        void eval(float t, long x, long out, int rows);
    }

    public static final String CHOICES = "euler, midpoint, heun, rk4";
    private final Gpu gpu;
    private final String name;
    private final int steps, stages;
    private final DeviceTensor[] buf;
    private final float[] c = new float[4];
    private final long[] k = new long[4];

    public CudaOdeSolver(Gpu gpu, String name, int steps, long n) {
        String s = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        int buffers;
        switch (s) {
            case "euler" -> { stages = 1; buffers = 1; }
            case "midpoint" -> { stages = 2; buffers = 2; }
            case "heun" -> { stages = 2; buffers = 3; }
            case "rk4" -> { stages = 4; buffers = 5; }
            case "dopri5" -> throw new InvalidParameterException("backend cuda has the fixed-step solvers (" + CHOICES
                    + "); use backend jvm for dopri5", "solver", "backend");
            default -> throw new UserError("unknown solver '" + name + "'; choose one of " + CHOICES);
        }
        if (steps < 1) throw new UserError("steps must be at least 1, got " + steps);
        this.gpu = gpu;
        this.name = s;
        this.steps = steps;
        buf = new DeviceTensor[buffers];
        for (int i = 0; i < buffers; i++) buf[i] = gpu.allocate(n);
    }

    public String name() { return name; }

    /** Integrates x (device, rows × dim, n floats) from t0 to t1 in place. */
    public SolveStats solve(Field f, DeviceTensor x, int rows, long n, float t0, float t1) {
        if (n > buf[0].size()) throw new IllegalArgumentException(n + " floats > solver buffers of " + buf[0].size());
        if (t0 == t1 || n == 0) return new SolveStats(0, 0, 0);
        double h = ((double) t1 - t0) / steps;
        for (int i = 0; i < steps; i++) step(f, x.ptr, rows, n, t0 + i * h, h);
        return new SolveStats(stages * steps, steps, 0);
    }

    private void comb(long out, long x, int terms, long n) { gpu.kernels.linComb(out, x, c, k, terms, n); }

    private void step(Field f, long x, int rows, long n, double t, double h) {
        float hf = (float) h;
        switch (name) {
            case "euler" -> {
                f.eval((float) t, x, buf[0].ptr, rows);
                c[0] = hf; k[0] = buf[0].ptr;
                comb(x, x, 1, n);
            }
            case "midpoint" -> {
                long kk = buf[0].ptr, y = buf[1].ptr;
                f.eval((float) t, x, kk, rows);
                c[0] = hf / 2; k[0] = kk;
                comb(y, x, 1, n);
                f.eval((float) (t + h / 2), y, kk, rows);
                c[0] = hf;
                comb(x, x, 1, n);
            }
            case "heun" -> {
                long k1 = buf[0].ptr, k2 = buf[1].ptr, y = buf[2].ptr;
                f.eval((float) t, x, k1, rows);
                c[0] = hf; k[0] = k1;
                comb(y, x, 1, n);
                f.eval((float) (t + h), y, k2, rows);
                c[0] = hf / 2; c[1] = hf / 2; k[1] = k2;
                comb(x, x, 2, n);
            }
            default -> { // rk4
                long k1 = buf[0].ptr, k2 = buf[1].ptr, k3 = buf[2].ptr, k4 = buf[3].ptr, y = buf[4].ptr;
                float tm = (float) (t + h / 2);
                f.eval((float) t, x, k1, rows);
                c[0] = hf / 2; k[0] = k1;
                comb(y, x, 1, n);
                f.eval(tm, y, k2, rows);
                k[0] = k2;
                comb(y, x, 1, n);
                f.eval(tm, y, k3, rows);
                c[0] = hf; k[0] = k3;
                comb(y, x, 1, n);
                f.eval((float) (t + h), y, k4, rows);
                c[0] = hf / 6; c[1] = hf / 3; c[2] = hf / 3; c[3] = hf / 6;
                k[0] = k1; k[1] = k2; k[2] = k3; k[3] = k4;
                comb(x, x, 4, n);
            }
        }
    }

    @Override
    public void close() {
        for (DeviceTensor b : buf) b.close();
    }
}
