package dev.panflow.ode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** v_t(x) = A x + b (time-independent), with its exact VJP uᵀA: a field with a known flow. */
final class AffineField implements VjpField {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private final double[][] a;
    private final double[] b;
    private final int d;

    AffineField(double[][] a, double[] b) {
        this.a = a;
        this.b = b;
        this.d = b.length;
    }

    @Override public int dim() { return d; }
    @Override public int maxRows() { return 64; } // small, so solves exercise the chunking

    @Override
    public void eval(float t, MemorySegment x, MemorySegment out, int rows) {
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < d; i++) {
                double s = b[i];
                for (int j = 0; j < d; j++) s += a[i][j] * x.getAtIndex(F32, (long) r * d + j);
                out.setAtIndex(F32, (long) r * d + i, (float) s);
            }
    }

    @Override
    public void vjp(MemorySegment u, MemorySegment g, int rows) {
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int i = 0; i < d; i++) s += u.getAtIndex(F32, (long) r * d + i) * a[i][j];
                g.setAtIndex(F32, (long) r * d + j, (float) s);
            }
    }
}
