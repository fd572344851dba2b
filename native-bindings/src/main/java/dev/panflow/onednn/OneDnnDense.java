package dev.panflow.onednn;

import dev.panflow.kernels.DenseGemm;
import java.lang.foreign.MemorySegment;

/**
 * The dense layers' GEMM by oneDNN 2.6's {@code dnnl_sgemm} (row-major), on Panflow's own
 * off-heap segments in place. Whole products run on the run's thread count of OpenMP threads,
 * row forms on the calling thread alone: the count is set per call with omp_set_num_threads,
 * which sets the calling thread's own OpenMP setting, so pool threads calling row forms do not
 * change the count of the thread that calls whole products. Stateless otherwise: any threads
 * may call at once. Results may differ from the JVM's GEMM in the last bits (another summation
 * order); oneDNN's own split of the work may depend on the thread count.
 */
public final class OneDnnDense implements DenseGemm {
    private static final byte N = 'N', T = 'T';
    private final Dnnl d;
    private final int threads;

    private OneDnnDense(Dnnl d, int threads) {
        this.d = d;
        this.threads = threads;
    }

    /** Opens oneDNN ({@link dev.panflow.UserError} naming the package when it is not installed). */
    public static OneDnnDense open(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
        return new OneDnnDense(Dnnl.load(), threads);
    }

    @Override
    public void nn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean accumulate) {
        d.setThreads(threads);
        gemm(N, N, m, n, k, at(a, (long) m * k, 0, "A"), k, at(b, (long) k * n, 0, "B"), n, c, 0, accumulate);
    }

    @Override
    public void tn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean accumulate) {
        d.setThreads(threads);
        gemm(T, N, m, n, k, at(a, (long) k * m, 0, "A"), m, at(b, (long) k * n, 0, "B"), n, c, 0, accumulate);
    }

    @Override
    public void nt(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean accumulate) {
        d.setThreads(threads);
        gemm(N, T, m, n, k, at(a, (long) m * k, 0, "A"), k, at(b, (long) n * k, 0, "B"), k, c, 0, accumulate);
    }

    // Row forms: rows [r0, r1) of C are rows [r0, r1) of op(A) times op(B): A starts at row r0
    // (column r0 when A is stored transposed), C at row r0.

    @Override
    public void nnRows(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, int r0, int r1) {
        d.setThreads(1);
        gemm(N, N, r1 - r0, n, k, at(a, (long) r1 * k, (long) r0 * k, "A"), k, at(b, (long) k * n, 0, "B"), n, c, r0, false);
    }

    @Override
    public void tnRows(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, int r0, int r1) {
        d.setThreads(1);
        gemm(T, N, r1 - r0, n, k, at(a, (long) k * m, r0, "A"), m, at(b, (long) k * n, 0, "B"), n, c, r0, false);
    }

    @Override
    public void ntRows(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, int r0, int r1) {
        d.setThreads(1);
        gemm(N, T, r1 - r0, n, k, at(a, (long) r1 * k, (long) r0 * k, "A"), k, at(b, (long) n * k, 0, "B"), k, c, r0, false);
    }

    @Override
    public String name() { return "onednn"; }

    /** C rows [r0, r0 + rows) (+)= op(A)·op(B), A and B given as addresses. */
    private void gemm(byte ta, byte tb, int rows, int n, int k, long a, long lda, long b, long ldb, MemorySegment c, int r0,
                      boolean accumulate) {
        if (rows <= 0 || n <= 0) return;
        long cAddr = at(c, (long) (r0 + rows) * n, (long) r0 * n, "C");
        if (k <= 0) { // an empty sum: C stays (accumulate) or becomes 0
            if (!accumulate) c.asSlice(4L * r0 * n, 4L * rows * n).fill((byte) 0);
            return;
        }
        d.sgemm(ta, tb, rows, n, k, 1f, a, lda, b, ldb, accumulate ? 1f : 0f, cAddr, n);
    }

    /**
     * The address of float {@code offset} of {@code s}, after checking that s is off-heap and
     * holds at least {@code floats} floats (oneDNN reads raw memory: a short segment would be
     * read past its end).
     */
    private static long at(MemorySegment s, long floats, long offset, String name) {
        if (!s.isNative() || s.byteSize() < 4 * floats) throw tooSmall(s, floats, name);
        return s.address() + 4 * offset;
    }

    private static IllegalArgumentException tooSmall(MemorySegment s, long floats, String name) {
        if (!s.isNative()) return new IllegalArgumentException("oneDNN needs off-heap memory for " + name);
        return new IllegalArgumentException(name + " holds " + s.byteSize() / 4 + " floats, needs " + floats);
    }
}
