package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Single-threaded GEMM kernels (first cut: fused multiply-add loops; vectorised next).
 * Every C element is init (0 or old C) then fma over k in increasing order.
 */
public final class Gemm {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Gemm() {}

    public static void nn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1) {
        for (int i = r0; i < r1; i++)
            for (int j = 0; j < n; j++) {
                float s = accumulate ? c.getAtIndex(F, (long) i * n + j) : 0f;
                for (int p = 0; p < k; p++)
                    s = Math.fma(a.getAtIndex(F, (long) i * k + p), b.getAtIndex(F, (long) p * n + j), s);
                c.setAtIndex(F, (long) i * n + j, s);
            }
    }

    public static void tn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1) {
        for (int i = r0; i < r1; i++)
            for (int j = 0; j < n; j++) {
                float s = accumulate ? c.getAtIndex(F, (long) i * n + j) : 0f;
                for (int p = 0; p < k; p++)
                    s = Math.fma(a.getAtIndex(F, (long) p * m + i), b.getAtIndex(F, (long) p * n + j), s);
                c.setAtIndex(F, (long) i * n + j, s);
            }
    }

    public static void nt(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1) {
        for (int i = r0; i < r1; i++)
            for (int j = 0; j < n; j++) {
                float s = accumulate ? c.getAtIndex(F, (long) i * n + j) : 0f;
                for (int p = 0; p < k; p++)
                    s = Math.fma(a.getAtIndex(F, (long) i * k + p), b.getAtIndex(F, (long) j * k + p), s);
                c.setAtIndex(F, (long) i * n + j, s);
            }
    }
}
