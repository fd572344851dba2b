package dev.panflow.ode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Dopri5's error norms, in double (stage updates themselves use the SIMD kernel
 * {@code Elementwise.linComb}).
 */
final class StageMath {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private StageMath() {}

    /**
     * RMS over n elements of err_i/(atol + rtol·max(|xOld_i|, |xNew_i|)), err = h·Σ e[j]·ks[j],
     * in double. NaN or infinite errors give +∞ (the step is rejected).
     */
    static double errorNorm(MemorySegment xOld, MemorySegment xNew, double[] e, MemorySegment[] ks, int terms,
                            double h, double atol, double rtol, long n) {
        return errorNorm(xOld, xNew, e, ks, terms, h, atol, rtol, 0, n);
    }

    /** The same over elements [off, off + n) (one row of a per-point solve). */
    static double errorNorm(MemorySegment xOld, MemorySegment xNew, double[] e, MemorySegment[] ks, int terms,
                            double h, double atol, double rtol, long off, long n) {
        double sum = 0;
        for (long i = off; i < off + n; i++) {
            double err = 0;
            for (int j = 0; j < terms; j++) err += e[j] * ks[j].getAtIndex(F32, i);
            double sc = atol + rtol * Math.max(Math.abs(xOld.getAtIndex(F32, i)), Math.abs(xNew.getAtIndex(F32, i)));
            double q = h * err / sc;
            sum += q * q;
        }
        double norm = Math.sqrt(sum / Math.max(1, n));
        return Double.isFinite(norm) ? norm : Double.POSITIVE_INFINITY;
    }

    /** RMS of v_i/(atol + rtol·|x_i|), or of (v_i − w_i)/… when w is non-null. */
    static double scaledRms(MemorySegment v, MemorySegment w, MemorySegment x, double atol, double rtol, long n) {
        return scaledRms(v, w, x, atol, rtol, 0, n);
    }

    /** The same over elements [off, off + n). */
    static double scaledRms(MemorySegment v, MemorySegment w, MemorySegment x, double atol, double rtol, long off, long n) {
        double sum = 0;
        for (long i = off; i < off + n; i++) {
            double d = v.getAtIndex(F32, i);
            if (w != null) d -= w.getAtIndex(F32, i);
            double q = d / (atol + rtol * Math.abs(x.getAtIndex(F32, i)));
            sum += q * q;
        }
        return Math.sqrt(sum / Math.max(1, n));
    }
}
