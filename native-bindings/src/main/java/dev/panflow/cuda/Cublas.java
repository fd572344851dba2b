package dev.panflow.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.panflow.UserError;
import dev.panflow.nativelib.NativeLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * cuBLAS (cublas_v2.h): one handle on the legacy default stream, float32 GEMM and GEMV with
 * scalars in host memory. Matrices are column-major as cuBLAS sees them; {@link Gpu} maps
 * Panflow's row-major products onto them. Math mode stays CUBLAS_DEFAULT_MATH (true fp32, no
 * TF32), as PyTorch's default.
 */
final class Cublas implements AutoCloseable {
    static final int OP_N = 0, OP_T = 1;
    private final MethodHandle create, destroy, sgemm, sgemv, setMathMode;
    private final MemorySegment handle;
    private final MemorySegment one, zero;

    Cublas(NativeLibrary lib, Arena arena) {
        create = lib.downcall("cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        destroy = lib.downcall("cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setMathMode = lib.downcall("cublasSetMathMode", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        sgemm = lib.downcall("cublasSgemm_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        sgemv = lib.downcall("cublasSgemv_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        one = arena.allocate(JAVA_FLOAT);
        one.set(JAVA_FLOAT, 0, 1f);
        zero = arena.allocate(JAVA_FLOAT);
        zero.set(JAVA_FLOAT, 0, 0f);
        MemorySegment p = arena.allocate(ADDRESS);
        try {
            check((int) create.invokeExact(p), "cublasCreate");
            handle = p.get(ADDRESS, 0);
            check((int) setMathMode.invokeExact(handle, 0), "cublasSetMathMode");
        } catch (UserError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** C = op(A)·op(B) (+ C when {@code accumulate}), column-major, C is m × n. */
    void sgemm(int opA, int opB, int m, int n, int k, long a, int lda, long b, int ldb, long c, int ldc,
               boolean accumulate) {
        MemorySegment beta = accumulate ? one : zero; // a local: invokeExact needs the exact static type
        try {
            check((int) sgemm.invokeExact(handle, opA, opB, m, n, k, one, a, lda, b, ldb, beta, c, ldc),
                    "cublasSgemm");
        } catch (UserError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** y = op(A)·x, column-major A (m × n). */
    void sgemv(int op, int m, int n, long a, int lda, long x, long y) {
        try {
            check((int) sgemv.invokeExact(handle, op, m, n, one, a, lda, x, 1, zero, y, 1), "cublasSgemv");
        } catch (UserError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void check(int status, String call) {
        if (status != 0) throw new UserError("cuBLAS " + call + " failed with status " + status
                + (status == 1 ? " (not initialized: is the GPU visible and the driver loaded?)" : status == 3 ? " (out of GPU memory)" : ""));
    }

    @Override
    public void close() {
        try {
            int ignored = (int) destroy.invokeExact(handle);
        } catch (Throwable ignored) {
            // closing
        }
    }
}
