package dev.panflow.onednn;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.panflow.nativelib.NativeLibrary;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * Hand-written FFM downcalls to the oneDNN 2.6 C API ({@code libdnnl.so.2}, Debian
 * {@code libdnnl2}) — only what convolutions and the dense layers' GEMM need. Sizes and enum values below are those of the
 * installed headers; {@code DnnlLayoutTest} checks each against a C program built with gcc.
 */
final class Dnnl {
    static final String INSTALL_HINT = "apt-get install libdnnl2 (Debian/Ubuntu: oneDNN 2.6, libdnnl.so.2)";
    static final List<String> CANDIDATES = List.of("libdnnl.so.2", "/usr/lib/x86_64-linux-gnu/libdnnl.so.2");

    // struct sizes (x86-64): dnnl_memory_desc_t, dnnl_convolution_desc_t, dnnl_exec_arg_t {int arg; dnnl_memory_t memory;}
    static final long MEMORY_DESC_BYTES = 696, CONV_DESC_BYTES = 5976, EXEC_ARG_BYTES = 16, EXEC_ARG_MEMORY_OFFSET = 8;
    static final int MAX_NDIMS = 12; // dnnl_dims_t = int64_t[DNNL_MAX_NDIMS]

    static final int SUCCESS = 0;
    static final int ENGINE_CPU = 1, STREAM_DEFAULT_FLAGS = 1;
    static final int F32 = 3;
    static final int TAG_ANY = 1, TAG_X = 2, TAG_NCHW = 5, TAG_OIHW = 5;
    static final int FORWARD_TRAINING = 64, CONVOLUTION_DIRECT = 1;
    static final int SCRATCHPAD_MODE_USER = 1;
    static final int ARG_SRC = 1, ARG_DST = 17, ARG_WEIGHTS = 33, ARG_BIAS = 41, ARG_SCRATCHPAD = 80,
            ARG_DIFF_SRC = 129, ARG_DIFF_DST = 145, ARG_DIFF_WEIGHTS = 161, ARG_DIFF_BIAS = 169,
            ARG_FROM = 1, ARG_TO = 17;
    static final int QUERY_IMPL_INFO_STR = 8, QUERY_SRC_MD = 129, QUERY_DIFF_SRC_MD = 130, QUERY_WEIGHTS_MD = 131,
            QUERY_DIFF_WEIGHTS_MD = 132, QUERY_DST_MD = 133, QUERY_DIFF_DST_MD = 134, QUERY_SCRATCHPAD_MD = 136;

    private static final String[] STATUS = {"dnnl_success", "dnnl_out_of_memory", "dnnl_invalid_arguments",
            "dnnl_unimplemented", "dnnl_iterator_ends", "dnnl_runtime_error", "dnnl_not_required"};

    private static Dnnl instance;

    final MethodHandle engineCreate, engineDestroy, streamCreate, streamWait, streamDestroy;
    final MethodHandle memoryDescInitByTag, memoryDescGetSize, memoryDescEqual;
    final MethodHandle memoryCreate, memorySetDataHandle, memoryDestroy;
    final MethodHandle convForwardDescInit, convBackwardDataDescInit, convBackwardWeightsDescInit;
    final MethodHandle attrCreate, attrSetScratchpadMode, attrDestroy;
    final MethodHandle primitiveDescCreate, primitiveDescQuery, primitiveDescQueryMd, primitiveDescDestroy;
    final MethodHandle reorderPrimitiveDescCreate;
    final MethodHandle primitiveCreate, primitiveExecute, primitiveDestroy;
    /**
     * dnnl_sgemm(char transa, char transb, dim M, N, K, float alpha, const float *A, dim lda,
     * const float *B, dim ldb, float beta, float *C, dim ldc): row-major, like cblas. The three
     * pointers are declared as 64-bit integers (the same register class in the x86-64 ABI) so the
     * hot path passes {@code address() + offset} and makes no slice object per call.
     */
    final MethodHandle sgemm;
    /** omp_set_num_threads of the OpenMP runtime oneDNN 2.6 (Debian) is built with; null if not found. */
    final MethodHandle ompSetNumThreads;

    /** The library, opened once per JVM; a {@link dev.panflow.UserError} naming the package if absent. */
    static synchronized Dnnl load() {
        if (instance == null) {
            passiveOpenMpByDefault();
            instance = new Dnnl(NativeLibrary.open("oneDNN", INSTALL_HINT, CANDIDATES));
        }
        return instance;
    }

    private Dnnl(NativeLibrary lib) {
        var A = ADDRESS; var I = JAVA_INT; var L = JAVA_LONG;
        engineCreate = lib.downcall("dnnl_engine_create", FunctionDescriptor.of(I, A, I, L));
        engineDestroy = lib.downcall("dnnl_engine_destroy", FunctionDescriptor.of(I, A));
        streamCreate = lib.downcall("dnnl_stream_create", FunctionDescriptor.of(I, A, A, I));
        streamWait = lib.downcall("dnnl_stream_wait", FunctionDescriptor.of(I, A));
        streamDestroy = lib.downcall("dnnl_stream_destroy", FunctionDescriptor.of(I, A));
        memoryDescInitByTag = lib.downcall("dnnl_memory_desc_init_by_tag", FunctionDescriptor.of(I, A, I, A, I, I));
        memoryDescGetSize = lib.downcall("dnnl_memory_desc_get_size", FunctionDescriptor.of(L, A));
        memoryDescEqual = lib.downcall("dnnl_memory_desc_equal", FunctionDescriptor.of(I, A, A));
        memoryCreate = lib.downcall("dnnl_memory_create", FunctionDescriptor.of(I, A, A, A, A));
        memorySetDataHandle = lib.downcall("dnnl_memory_set_data_handle", FunctionDescriptor.of(I, A, A));
        memoryDestroy = lib.downcall("dnnl_memory_destroy", FunctionDescriptor.of(I, A));
        convForwardDescInit = lib.downcall("dnnl_convolution_forward_desc_init",
                FunctionDescriptor.of(I, A, I, I, A, A, A, A, A, A, A));
        convBackwardDataDescInit = lib.downcall("dnnl_convolution_backward_data_desc_init",
                FunctionDescriptor.of(I, A, I, A, A, A, A, A, A));
        convBackwardWeightsDescInit = lib.downcall("dnnl_convolution_backward_weights_desc_init",
                FunctionDescriptor.of(I, A, I, A, A, A, A, A, A, A));
        attrCreate = lib.downcall("dnnl_primitive_attr_create", FunctionDescriptor.of(I, A));
        attrSetScratchpadMode = lib.downcall("dnnl_primitive_attr_set_scratchpad_mode", FunctionDescriptor.of(I, A, I));
        attrDestroy = lib.downcall("dnnl_primitive_attr_destroy", FunctionDescriptor.of(I, A));
        primitiveDescCreate = lib.downcall("dnnl_primitive_desc_create", FunctionDescriptor.of(I, A, A, A, A, A));
        primitiveDescQuery = lib.downcall("dnnl_primitive_desc_query", FunctionDescriptor.of(I, A, I, I, A));
        primitiveDescQueryMd = lib.downcall("dnnl_primitive_desc_query_md", FunctionDescriptor.of(A, A, I, I));
        primitiveDescDestroy = lib.downcall("dnnl_primitive_desc_destroy", FunctionDescriptor.of(I, A));
        reorderPrimitiveDescCreate = lib.downcall("dnnl_reorder_primitive_desc_create",
                FunctionDescriptor.of(I, A, A, A, A, A, A));
        primitiveCreate = lib.downcall("dnnl_primitive_create", FunctionDescriptor.of(I, A, A));
        primitiveExecute = lib.downcall("dnnl_primitive_execute", FunctionDescriptor.of(I, A, A, I, A));
        primitiveDestroy = lib.downcall("dnnl_primitive_destroy", FunctionDescriptor.of(I, A));
        sgemm = lib.downcall("dnnl_sgemm", FunctionDescriptor.of(I, JAVA_BYTE, JAVA_BYTE, L, L, L, JAVA_FLOAT, L, L, L, L,
                JAVA_FLOAT, L, L));
        // libdnnl.so.2 links libgomp: the symbol is found once oneDNN is loaded.
        ompSetNumThreads = Linker.nativeLinker().defaultLookup().find("omp_set_num_threads")
                .or(() -> java.lang.foreign.SymbolLookup.loaderLookup().find("omp_set_num_threads"))
                .or(() -> gomp().find("omp_set_num_threads"))
                .map(s -> Linker.nativeLinker().downcallHandle(s, FunctionDescriptor.ofVoid(I)))
                .orElse(null);
    }

    /**
     * OpenMP workers spin after each parallel region by default; on a small machine they then steal
     * the cores Panflow's own JVM kernels run on between oneDNN calls. libgomp reads
     * OMP_WAIT_POLICY when it loads, so it is set (unless the user set it) before oneDNN loads it.
     */
    private static void passiveOpenMpByDefault() {
        var setenv = Linker.nativeLinker().defaultLookup().find("setenv");
        if (setenv.isEmpty()) return;
        MethodHandle h = Linker.nativeLinker().downcallHandle(setenv.get(), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            int ignored = (int) h.invokeExact(arena.allocateFrom("OMP_WAIT_POLICY"), arena.allocateFrom("PASSIVE"), 0);
        } catch (Throwable t) {
            // not fatal: only a performance default
        }
    }

    private static java.lang.foreign.SymbolLookup gomp() {
        try {
            return java.lang.foreign.SymbolLookup.libraryLookup("libgomp.so.1", java.lang.foreign.Arena.global());
        } catch (IllegalArgumentException e) {
            return name -> java.util.Optional.empty();
        }
    }

    /** Throws unless {@code status} is dnnl_success, naming the call and the status. */
    static void check(int status, String call) {
        if (status == SUCCESS) return;
        String name = status >= 0 && status < STATUS.length ? STATUS[status] : "status " + status;
        throw new IllegalStateException("oneDNN " + call + " failed: " + name + " (" + status + ")");
    }

    /** Calls a setup-time function returning dnnl_status_t and checks it. */
    static void call(MethodHandle h, String call, Object... args) {
        int status;
        try {
            status = (int) h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(call, t);
        }
        check(status, call);
    }

    /** Calls a setup-time function returning a value (pointer or size). */
    static Object value(MethodHandle h, Object... args) {
        try {
            return h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    // Hot-path calls, exact-typed (no boxing).

    void setDataHandle(MemorySegment memory, MemorySegment handle) {
        int s;
        try {
            s = (int) memorySetDataHandle.invokeExact(memory, handle);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        check(s, "dnnl_memory_set_data_handle");
    }

    void execute(MemorySegment primitive, MemorySegment stream, int nargs, MemorySegment args, String what) {
        int s;
        try {
            s = (int) primitiveExecute.invokeExact(primitive, stream, nargs, args);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (s != SUCCESS) check(s, "dnnl_primitive_execute(" + what + ")");
    }

    void waitFor(MemorySegment stream) {
        int s;
        try {
            s = (int) streamWait.invokeExact(stream);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        check(s, "dnnl_stream_wait");
    }

    /** C = alpha·op(A)·op(B) + beta·C over raw addresses (see {@link #sgemm}); throws unless dnnl_success. */
    void sgemm(byte transA, byte transB, long m, long n, long k, float alpha, long a, long lda, long b, long ldb,
               float beta, long c, long ldc) {
        int s;
        try {
            s = (int) sgemm.invokeExact(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (s != SUCCESS) check(s, "dnnl_sgemm");
    }

    void setThreads(int threads) {
        if (ompSetNumThreads == null) return;
        try {
            ompSetNumThreads.invokeExact(threads);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
