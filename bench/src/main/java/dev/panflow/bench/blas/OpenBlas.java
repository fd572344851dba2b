package dev.panflow.bench.blas;

import dev.panflow.nativelib.NativeLibrary;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * OpenBLAS's {@code cblas_sgemm} through FFM, for benchmark comparisons only (Debian
 * {@code libopenblas0}). Row-major; the three layouts Panflow's dense layers use.
 */
public final class OpenBlas {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout P = ValueLayout.ADDRESS;

    private final MethodHandle sgemm, setThreads, coreName;

    public OpenBlas(String library) {
        List<String> candidates = library != null ? List.of(library) : List.of(
                "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
                "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
                "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
                "libopenblas.so.0");
        NativeLibrary lib = NativeLibrary.open("OpenBLAS", "apt-get install libopenblas0", candidates);
        sgemm = lib.downcall("cblas_sgemm", FunctionDescriptor.ofVoid(
                I, I, I, I, I, I, F, P, I, P, I, F, P, I));
        setThreads = lib.downcall("openblas_set_num_threads", FunctionDescriptor.ofVoid(I));
        coreName = lib.downcall("openblas_get_corename", FunctionDescriptor.of(P));
    }

    /** The kernel family OpenBLAS picked for this CPU (e.g. "Zen", "Haswell", "SkylakeX"). */
    public String coreName() {
        try {
            MemorySegment s = (MemorySegment) coreName.invokeExact();
            return s.reinterpret(64).getString(0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public void setThreads(int n) {
        try {
            setThreads.invokeExact(n);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * C[m×n] = op(A)·op(B): layout "nn" (A [m×k], B [k×n]), "tn" (A stored [k×m]) or "nt"
     * (B stored [n×k]), as {@link dev.panflow.kernels.MatMul} with accumulate = false.
     */
    public void gemm(String layout, MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k) {
        boolean ta = layout.equals("tn"), tb = layout.equals("nt");
        try {
            sgemm.invokeExact(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, m, n, k,
                    1f, a, ta ? m : k, b, tb ? k : n, 0f, c, n);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
