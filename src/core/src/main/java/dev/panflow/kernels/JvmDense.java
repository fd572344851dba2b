package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The JVM's {@link DenseGemm}: whole products on the pool through a {@link MatMul} (one caller at
 * a time), row forms straight to {@link Gemm} (no state: any threads at once).
 */
public final class JvmDense implements DenseGemm {
    private final MatMul mm;

    public JvmDense(Pool pool) {
        this.mm = new MatMul(pool);
    }

    @Override
    public void nn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean accumulate) {
        mm.nn(a, b, c, m, n, k, accumulate);
    }

    @Override
    public void tn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean accumulate) {
        mm.tn(a, b, c, m, n, k, accumulate);
    }

    @Override
    public void nt(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean accumulate) {
        mm.nt(a, b, c, m, n, k, accumulate);
    }

    @Override
    public void nnRows(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, int r0, int r1) {
        Gemm.nn(a, b, c, m, n, k, false, r0, r1);
    }

    @Override
    public void tnRows(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, int r0, int r1) {
        Gemm.tn(a, b, c, m, n, k, false, r0, r1);
    }

    @Override
    public void ntRows(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, int r0, int r1) {
        Gemm.nt(a, b, c, m, n, k, false, r0, r1);
    }

    @Override
    public boolean jvmKernels() { return true; }

    @Override
    public String name() { return "jvm"; }
}
