package dev.panflow.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.panflow.UserError;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.ConvShape;
import dev.panflow.nativelib.NativeLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * {@link ConvKernels} on the GPU with cuDNN 9's convolution API (NCHW float32 tensors, KCRS
 * filters, cross-correlation, FMA math: no TF32, so results match the JVM to fp32 rounding).
 * The interface takes host memory, so each call copies its inputs to device buffers (kept and
 * grown across calls) and its outputs back; the device-pointer methods are the seam for a
 * device-resident network. Algorithms: the fastest that cuDNN measures for the shape
 * (cudnnFindConvolution*Algorithm, once per shape), under FMA math.
 */
public final class CudnnConvKernels implements ConvKernels {
    private static final int NCHW = 0, FLOAT = 0, CROSS_CORRELATION = 1, FMA_MATH = 3;
    private final Gpu gpu;
    private final boolean ownsGpu;
    private final Arena arena = Arena.ofShared();
    private final MethodHandle create, destroy, createTensor, setTensor4d, createFilter, setFilter4d, createConv,
            setConv2d, setConvMath, fwdWs, bwdDataWs, bwdFilterWs, convFwd, convBwdData, convBwdFilter, convBwdBias,
            addTensor, errorString, fwdAlgo, bwdDataAlgo, bwdFilterAlgo;
    private final MemorySegment handle, xDesc, yDesc, wDesc, bDesc, convDesc, one, zero, sizeOut;
    private DeviceTensor dx, dw, db, dy, ws;

    private CudnnConvKernels(Gpu gpu, boolean ownsGpu, NativeLibrary lib) {
        this.gpu = gpu;
        this.ownsGpu = ownsGpu;
        create = lib.downcall("cudnnCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        destroy = lib.downcall("cudnnDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        createTensor = lib.downcall("cudnnCreateTensorDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setTensor4d = lib.downcall("cudnnSetTensor4dDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        createFilter = lib.downcall("cudnnCreateFilterDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setFilter4d = lib.downcall("cudnnSetFilter4dDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        createConv = lib.downcall("cudnnCreateConvolutionDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        setConv2d = lib.downcall("cudnnSetConvolution2dDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        setConvMath = lib.downcall("cudnnSetConvolutionMathType", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        fwdWs = lib.downcall("cudnnGetConvolutionForwardWorkspaceSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        bwdDataWs = lib.downcall("cudnnGetConvolutionBackwardDataWorkspaceSize", FunctionDescriptor.of(JAVA_INT, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        bwdFilterWs = lib.downcall("cudnnGetConvolutionBackwardFilterWorkspaceSize", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        // (handle, alpha, aDesc, a, bDesc, b, convDesc, algo, ws, wsBytes, beta, outDesc, out)
        FunctionDescriptor conv = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG,
                ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG);
        convFwd = lib.downcall("cudnnConvolutionForward", conv);
        convBwdData = lib.downcall("cudnnConvolutionBackwardData", conv);
        convBwdFilter = lib.downcall("cudnnConvolutionBackwardFilter", conv);
        convBwdBias = lib.downcall("cudnnConvolutionBackwardBias", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
        addTensor = lib.downcall("cudnnAddTensor", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG,
                ADDRESS, ADDRESS, JAVA_LONG));
        errorString = lib.downcall("cudnnGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        // cudnnFindConvolution*Algorithm(handle, 4 descriptors, requested, int* returned, perf[]): times each
        // algorithm once on scratch buffers cuDNN allocates, fastest first (PyTorch's cudnn.benchmark)
        FunctionDescriptor heur = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT,
                ADDRESS, ADDRESS);
        fwdAlgo = lib.downcall("cudnnFindConvolutionForwardAlgorithm", heur);
        bwdDataAlgo = lib.downcall("cudnnFindConvolutionBackwardDataAlgorithm", heur);
        bwdFilterAlgo = lib.downcall("cudnnFindConvolutionBackwardFilterAlgorithm", heur);
        one = arena.allocate(JAVA_FLOAT);
        one.set(JAVA_FLOAT, 0, 1f);
        zero = arena.allocate(JAVA_FLOAT);
        zero.set(JAVA_FLOAT, 0, 0f);
        sizeOut = arena.allocate(JAVA_LONG);
        perf = arena.allocate(PERF_BYTES * MAX_ALGOS, 8);
        countOut = arena.allocate(JAVA_INT);
        handle = make(create, "cudnnCreate");
        xDesc = make(createTensor, "cudnnCreateTensorDescriptor");
        yDesc = make(createTensor, "cudnnCreateTensorDescriptor");
        bDesc = make(createTensor, "cudnnCreateTensorDescriptor");
        wDesc = make(createFilter, "cudnnCreateFilterDescriptor");
        convDesc = make(createConv, "cudnnCreateConvolutionDescriptor");
        check(call(setConvMath, convDesc, FMA_MATH), "cudnnSetConvolutionMathType");
    }

    /** Opens GPU 0 and cuDNN ({@code libDir} may be null). */
    public static CudnnConvKernels open(Path libDir) {
        CudaLibraries libs = new CudaLibraries(libDir);
        NativeLibrary lib = libs.cudnn();
        Gpu g = Gpu.open(libDir);
        try {
            return new CudnnConvKernels(g, true, lib);
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    /** cuDNN on an already open GPU (not closed with this). */
    public static CudnnConvKernels on(Gpu gpu, Path libDir) {
        return new CudnnConvKernels(gpu, false, new CudaLibraries(libDir).cudnn());
    }

    private MemorySegment make(MethodHandle h, String what) {
        MemorySegment p = arena.allocate(ADDRESS);
        try {
            check((int) h.invokeExact(p), what);
        } catch (UserError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return p.get(ADDRESS, 0);
    }

    private static int call(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private void check(int status, String what) {
        if (status == 0) return;
        String msg = "status " + status;
        try {
            msg = ((MemorySegment) errorString.invokeExact(status)).reinterpret(256).getString(0);
        } catch (Throwable ignored) {
            // keep the number
        }
        throw new UserError("cuDNN " + what + " failed: " + msg);
    }

    private void describe(ConvShape sh) {
        check(call(setTensor4d, xDesc, NCHW, FLOAT, sh.n(), sh.c(), sh.h(), sh.w()), "cudnnSetTensor4dDescriptor(x)");
        check(call(setTensor4d, yDesc, NCHW, FLOAT, sh.n(), sh.k(), sh.outH(), sh.outW()), "cudnnSetTensor4dDescriptor(y)");
        check(call(setTensor4d, bDesc, NCHW, FLOAT, 1, sh.k(), 1, 1), "cudnnSetTensor4dDescriptor(bias)");
        check(call(setFilter4d, wDesc, FLOAT, NCHW, sh.k(), sh.c(), sh.r(), sh.s()), "cudnnSetFilter4dDescriptor");
        check(call(setConv2d, convDesc, sh.pad(), sh.pad(), sh.stride(), sh.stride(), 1, 1, CROSS_CORRELATION, FLOAT),
                "cudnnSetConvolution2dDescriptor");
    }

    private DeviceTensor fit(DeviceTensor t, long floats) {
        if (t != null && t.size() >= floats) return t;
        if (t != null) t.close();
        return gpu.allocate(Math.max(floats, 1));
    }

    /** Workspace bytes for {@code algo}, or −1 where cuDNN does not support it for this shape. */
    private long workspace(MethodHandle query, MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment d, int algo) {
        int st = call(query, handle, a, b, c, d, algo, sizeOut);
        return st == 0 ? sizeOut.get(JAVA_LONG, 0) : -1;
    }

    /** cudnnConvolution*AlgoPerf_t: algo, status (int), time (float), memory (size_t at 16), determinism, mathType (at 28), …: 48 bytes. */
    private static final long PERF_BYTES = 48;
    private static final int MAX_ALGOS = 8, WORKSPACE_LIMIT_MIB = 512;
    private final MemorySegment perf, countOut;
    private final java.util.Map<ConvShape, int[]> algos = new java.util.HashMap<>();

    /**
     * The fastest algorithm cuDNN measured for this shape among those without tensor-core (TF32)
     * math and with at most 512 MiB of workspace (chosen once per shape and direction).
     */
    private int pick(int dir, ConvShape sh, MethodHandle heuristic, MethodHandle query, MemorySegment a, MemorySegment b,
                     MemorySegment c, MemorySegment d) {
        int[] cached = algos.computeIfAbsent(sh, x -> new int[] {-1, -1, -1});
        if (cached[dir] < 0) {
            int chosen = -1;
            if (call(heuristic, handle, a, b, c, d, MAX_ALGOS, countOut, perf) == 0) {
                int count = countOut.get(JAVA_INT, 0);
                for (int i = 0; i < count && chosen < 0; i++) {
                    int algo = perf.get(JAVA_INT, i * PERF_BYTES), status = perf.get(JAVA_INT, i * PERF_BYTES + 4);
                    long mem = perf.get(JAVA_LONG, i * PERF_BYTES + 16);
                    int math = perf.get(JAVA_INT, i * PERF_BYTES + 28);
                    boolean fp32 = math == FMA_MATH; // DEFAULT_MATH may use TF32 on Ampere and later
                    if (status == 0 && fp32 && mem <= (long) WORKSPACE_LIMIT_MIB << 20 && workspace(query, a, b, c, d, algo) >= 0)
                        chosen = algo;
                }
            }
            if (chosen < 0) chosen = workspace(query, a, b, c, d, 1) >= 0 ? 1 : 0;
            cached[dir] = chosen;
        }
        int algo = cached[dir];
        long bytes = workspace(query, a, b, c, d, algo);
        if (bytes < 0) throw new UserError("cuDNN supports no algorithm for convolution " + sh);
        ws = fit(ws, (bytes + 3) / 4);
        wsBytes = bytes;
        return algo;
    }

    /** The algorithms in use for a shape: forward, backward data, backward filter (−1: not chosen yet). */
    public int[] algorithms(ConvShape sh) {
        int[] a = algos.get(sh);
        return a == null ? new int[] {-1, -1, -1} : a.clone();
    }

    private long wsBytes;

    /** y = conv(x, w) + bias on device pointers (bias 0 for none). */
    public void forwardDevice(ConvShape sh, long x, long w, long bias, long y) {
        describe(sh);
        int algo = pick(0, sh, fwdAlgo, fwdWs, xDesc, wDesc, convDesc, yDesc);
        check(call(convFwd, handle, one, xDesc, x, wDesc, w, convDesc, algo, ws.ptr, wsBytes, zero, yDesc, y),
                "cudnnConvolutionForward");
        if (bias != 0) check(call(addTensor, handle, one, bDesc, bias, one, yDesc, y), "cudnnAddTensor");
    }

    public void backwardDataDevice(ConvShape sh, long dyPtr, long w, long dxPtr) {
        describe(sh);
        int algo = pick(1, sh, bwdDataAlgo, bwdDataWs, wDesc, yDesc, convDesc, xDesc);
        check(call(convBwdData, handle, one, wDesc, w, yDesc, dyPtr, convDesc, algo, ws.ptr, wsBytes, zero, xDesc, dxPtr),
                "cudnnConvolutionBackwardData");
    }

    public void backwardWeightsDevice(ConvShape sh, long x, long dyPtr, long dwPtr, long dbPtr) {
        describe(sh);
        int algo = pick(2, sh, bwdFilterAlgo, bwdFilterWs, xDesc, yDesc, convDesc, wDesc);
        check(call(convBwdFilter, handle, one, xDesc, x, yDesc, dyPtr, convDesc, algo, ws.ptr, wsBytes, zero, wDesc, dwPtr),
                "cudnnConvolutionBackwardFilter");
        if (dbPtr != 0) check(call(convBwdBias, handle, one, yDesc, dyPtr, zero, bDesc, dbPtr), "cudnnConvolutionBackwardBias");
    }

    @Override
    public void forward(ConvShape sh, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y) {
        gpu.makeCurrent();
        dx = fit(dx, sh.xSize()).upload(x, sh.xSize());
        dw = fit(dw, sh.wSize()).upload(w, sh.wSize());
        boolean hasBias = bias != null && !bias.equals(MemorySegment.NULL);
        if (hasBias) db = fit(db, sh.k()).upload(bias, sh.k());
        dy = fit(dy, sh.ySize());
        forwardDevice(sh, dx.ptr, dw.ptr, hasBias ? db.ptr : 0L, dy.ptr);
        dy.download(y, sh.ySize());
    }

    @Override
    public void backwardData(ConvShape sh, MemorySegment dyHost, MemorySegment w, MemorySegment dxHost) {
        gpu.makeCurrent();
        dy = fit(dy, sh.ySize()).upload(dyHost, sh.ySize());
        dw = fit(dw, sh.wSize()).upload(w, sh.wSize());
        dx = fit(dx, sh.xSize());
        backwardDataDevice(sh, dy.ptr, dw.ptr, dx.ptr);
        dx.download(dxHost, sh.xSize());
    }

    @Override
    public void backwardWeights(ConvShape sh, MemorySegment x, MemorySegment dyHost, MemorySegment dwHost, MemorySegment dbHost) {
        gpu.makeCurrent();
        dx = fit(dx, sh.xSize()).upload(x, sh.xSize());
        dy = fit(dy, sh.ySize()).upload(dyHost, sh.ySize());
        dw = fit(dw, sh.wSize());
        boolean hasBias = dbHost != null && !dbHost.equals(MemorySegment.NULL);
        if (hasBias) db = fit(db, sh.k());
        backwardWeightsDevice(sh, dx.ptr, dy.ptr, dw.ptr, hasBias ? db.ptr : 0L);
        dw.download(dwHost, sh.wSize());
        if (hasBias) db.download(dbHost, sh.k());
    }

    @Override
    public String name() { return "cudnn"; }

    @Override
    public void close() {
        for (DeviceTensor t : new DeviceTensor[] {dx, dw, db, dy, ws}) if (t != null) t.close();
        call(destroy, handle);
        arena.close();
        if (ownsGpu) gpu.close();
    }
}
