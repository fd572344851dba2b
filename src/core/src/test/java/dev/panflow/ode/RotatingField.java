package dev.panflow.ode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A test ODE with a known solution: coordinate pairs (x, y) follow
 * x' = a(t)x − ω(t)y, y' = ω(t)x + a(t)y, an odd last coordinate z' = a(t)z, with
 * a(t) = ½cos t, ω(t) = 1 + t. A(t) = a(t)I + ω(t)J commutes with itself at other times, so
 * the flow from t0 to t1 scales by exp(½(sin t1 − sin t0)) and rotates by Ω(t1) − Ω(t0),
 * Ω(t) = t + t²/2. Counts its evaluations.
 */
final class RotatingField implements VelocityField {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private final int dim;
    int calls;

    RotatingField(int dim) { this.dim = dim; }

    @Override public int dim() { return dim; }

    @Override
    public void eval(float t, MemorySegment x, MemorySegment out, int rows) {
        calls++;
        double a = 0.5 * Math.cos(t), w = 1 + t;
        for (int r = 0; r < rows; r++) {
            long b = (long) r * dim;
            int j = 0;
            for (; j + 1 < dim; j += 2) {
                double p = x.getAtIndex(F32, b + j), q = x.getAtIndex(F32, b + j + 1);
                out.setAtIndex(F32, b + j, (float) (a * p - w * q));
                out.setAtIndex(F32, b + j + 1, (float) (w * p + a * q));
            }
            if (j < dim) out.setAtIndex(F32, b + j, (float) (a * x.getAtIndex(F32, b + j)));
        }
    }

    /** The exact solution at t1 of the state x0 (row-major rows×dim) given at t0, in double. */
    double[] exact(float[] x0, int rows, double t0, double t1) {
        double s = Math.exp(0.5 * (Math.sin(t1) - Math.sin(t0)));
        double th = (t1 + t1 * t1 / 2) - (t0 + t0 * t0 / 2);
        double c = Math.cos(th), sn = Math.sin(th);
        double[] out = new double[x0.length];
        for (int r = 0; r < rows; r++) {
            int b = r * dim, j = 0;
            for (; j + 1 < dim; j += 2) {
                double p = x0[b + j], q = x0[b + j + 1];
                out[b + j] = s * (c * p - sn * q);
                out[b + j + 1] = s * (sn * p + c * q);
            }
            if (j < dim) out[b + j] = s * x0[b + j];
        }
        return out;
    }
}
