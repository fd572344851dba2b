package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Plain-loop reference twin of {@link Gemm}: same signatures, obvious code, used by tests.
 * Row-major float32 matrices; only output rows [r0, r1) of C are written.
 */
public final class GemmScalar {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private GemmScalar() {}

    /** C[m×n] (+)= A[m×k]·B[k×n]. */
    public static void nn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1) {
        for (int i = r0; i < r1; i++)
            for (int j = 0; j < n; j++) {
                float s = accumulate ? c.getAtIndex(F, (long) i * n + j) : 0f;
                for (int p = 0; p < k; p++)
                    s += a.getAtIndex(F, (long) i * k + p) * b.getAtIndex(F, (long) p * n + j);
                c.setAtIndex(F, (long) i * n + j, s);
            }
    }

    /** C[m×n] (+)= Aᵀ·B with A stored [k×m], B [k×n]. */
    public static void tn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1) {
        for (int i = r0; i < r1; i++)
            for (int j = 0; j < n; j++) {
                float s = accumulate ? c.getAtIndex(F, (long) i * n + j) : 0f;
                for (int p = 0; p < k; p++)
                    s += a.getAtIndex(F, (long) p * m + i) * b.getAtIndex(F, (long) p * n + j);
                c.setAtIndex(F, (long) i * n + j, s);
            }
    }

    /** C[m×n] (+)= A·Bᵀ with A [m×k], B stored [n×k]. */
    public static void nt(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1) {
        for (int i = r0; i < r1; i++)
            for (int j = 0; j < n; j++) {
                float s = accumulate ? c.getAtIndex(F, (long) i * n + j) : 0f;
                for (int p = 0; p < k; p++)
                    s += a.getAtIndex(F, (long) i * k + p) * b.getAtIndex(F, (long) j * k + p);
                c.setAtIndex(F, (long) i * n + j, s);
            }
    }

    /** pre[m×n] = A[m×k]·B[k×n] + bias, post = silu(pre) for rows [r0, r1) (post may be pre): the twin of {@link Gemm#nnBiasSilu}. */
    public static void nnBiasSilu(MemorySegment a, MemorySegment b, MemorySegment bias, MemorySegment pre, MemorySegment post,
                                  int m, int n, int k, int r0, int r1) {
        nn(a, b, pre, m, n, k, false, r0, r1);
        ElementwiseScalar.biasSilu(pre, bias, post, r0, r1, n);
    }
}
