package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The dense layers' GEMM, C (+)= op(A)·op(B) over row-major float32 segments. The JVM's is
 * {@link JvmDense} ({@link MatMul} and {@link Gemm}); a backend may supply a native one. Two
 * kinds of call: the whole of C on all the run's threads, and rows [r0, r1) of C on the calling
 * thread alone (callers that split rows over their own threads; C is overwritten there).
 */
public interface DenseGemm {
    /** C[m×n] (+)= A[m×k]·B[k×n], on all the run's threads. */
    void nn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean accumulate);

    /** C[m×n] (+)= Aᵀ·B, A stored [k×m], B [k×n], on all the run's threads. */
    void tn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean accumulate);

    /** C[m×n] (+)= A·Bᵀ, A [m×k], B stored [n×k], on all the run's threads. */
    void nt(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean accumulate);

    /** Rows [r0, r1) of C[m×n] = A[m×k]·B[k×n], on the calling thread alone. */
    void nnRows(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, int r0, int r1);

    /** Rows [r0, r1) of C[m×n] = Aᵀ·B, A stored [k×m], B [k×n], on the calling thread alone. */
    void tnRows(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, int r0, int r1);

    /** Rows [r0, r1) of C[m×n] = A·Bᵀ, A [m×k], B stored [n×k], on the calling thread alone. */
    void ntRows(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, int r0, int r1);

    /**
     * True for the JVM's GEMM: callers may then use {@link Gemm}'s packed-B forms and fused
     * bias+SiLU epilogues directly instead of the row forms. A native GEMM reads B as stored.
     */
    default boolean jvmKernels() { return false; }

    /** Its name for messages and benchmarks ("jvm", "onednn"). */
    String name();
}
