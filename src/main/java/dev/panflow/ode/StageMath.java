package dev.panflow.ode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Scalar stage updates. linComb has the signature of the SIMD kernel
 * dev.panflow.kernels.Elementwise.linComb, so it can be swapped in.
 */
final class StageMath {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private StageMath() {}

    /** out = x + Σ_{i<terms} coef[i]·ks[i], elementwise over n floats; out may alias x. */
    static void linComb(MemorySegment out, MemorySegment x, float[] coef, MemorySegment[] ks, int terms, long n) {
        for (long i = 0; i < n; i++) {
            float acc = 0;
            for (int j = 0; j < terms; j++) acc += coef[j] * ks[j].getAtIndex(F32, i);
            out.setAtIndex(F32, i, x.getAtIndex(F32, i) + acc);
        }
    }

    /**
     * RMS over n elements of err_i/(atol + rtol·max(|xOld_i|, |xNew_i|)), err = h·Σ e[j]·ks[j],
     * in double. NaN or infinite errors give +∞ (the step is rejected).
     */
    static double errorNorm(MemorySegment xOld, MemorySegment xNew, double[] e, MemorySegment[] ks, int terms,
                            double h, double atol, double rtol, long n) {
        double sum = 0;
        for (long i = 0; i < n; i++) {
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
        double sum = 0;
        for (long i = 0; i < n; i++) {
            double d = v.getAtIndex(F32, i);
            if (w != null) d -= w.getAtIndex(F32, i);
            double q = d / (atol + rtol * Math.abs(x.getAtIndex(F32, i)));
            sum += q * q;
        }
        return Math.sqrt(sum / Math.max(1, n));
    }
}
