package dev.panflow.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.panflow.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * One NVIDIA GPU opened through the driver API: its primary context (made current on the
 * opening thread), device memory, the Panflow kernel module (PTX resource, loaded with
 * cuModuleLoadData) and a cuBLAS handle. All work goes to the legacy default stream, so
 * kernels, cuBLAS calls and copies run in the order they are issued; only {@link #sync} and
 * device→host copies wait for the GPU.
 */
public final class Gpu implements AutoCloseable {
    static final String PTX_RESOURCE = "/dev/panflow/cuda/panflow_kernels.ptx";
    private final Arena arena = Arena.ofShared();
    final CudaDriver cu;
    final Cublas blas;
    final DeviceKernels kernels;
    private final int device;
    private final MemorySegment context;
    private final MemorySegment module;
    private final MemorySegment out8; // scratch for out-parameters
    private final String name;
    final int multiprocessors;
    private boolean closed;

    private Gpu(CudaLibraries libs, int ordinal) {
        cu = new CudaDriver(libs.driver());
        out8 = arena.allocate(JAVA_LONG);
        try {
            cu.check((int) cu.cuInit.invokeExact(0), "cuInit");
            cu.check((int) cu.cuDeviceGetCount.invokeExact(out8), "cuDeviceGetCount");
            int count = out8.get(JAVA_INT, 0);
            if (count < 1) throw new UserError("CUDA: the driver sees no GPU (check nvidia-smi)");
            if (ordinal < 0 || ordinal >= count)
                throw new UserError("CUDA: no GPU number " + ordinal + " (" + count + " visible)");
            cu.check((int) cu.cuDeviceGet.invokeExact(out8, ordinal), "cuDeviceGet");
            device = out8.get(JAVA_INT, 0);
            MemorySegment nameBuf = arena.allocate(256);
            cu.check((int) cu.cuDeviceGetName.invokeExact(nameBuf, 256, device), "cuDeviceGetName");
            name = nameBuf.getString(0);
            cu.check((int) cu.cuDeviceGetAttribute.invokeExact(out8, 16, device), "cuDeviceGetAttribute");
            multiprocessors = out8.get(JAVA_INT, 0);
            cu.check((int) cu.cuDevicePrimaryCtxRetain.invokeExact(out8, device), "cuDevicePrimaryCtxRetain");
            context = out8.get(ADDRESS, 0);
            makeCurrent();
            MemorySegment ptx = loadPtx(arena);
            cu.check((int) cu.cuModuleLoadData.invokeExact(out8, ptx), "cuModuleLoadData");
            module = out8.get(ADDRESS, 0);
        } catch (UserError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        kernels = new DeviceKernels(this, arena);
        blas = new Cublas(libs.cublas(), arena);
    }

    /** Opens GPU 0; {@code libDir} (may be null) is searched first for the libraries. */
    public static Gpu open(Path libDir) {
        return new Gpu(new CudaLibraries(libDir), 0);
    }

    /** The PTX text, NUL-terminated as cuModuleLoadData wants it. */
    static MemorySegment loadPtx(Arena arena) {
        byte[] text = ptxBytes();
        MemorySegment s = arena.allocate(text.length + 1L);
        MemorySegment.copy(text, 0, s, JAVA_BYTE, 0, text.length);
        s.set(JAVA_BYTE, text.length, (byte) 0);
        return s;
    }

    static byte[] ptxBytes() {
        try (InputStream in = Gpu.class.getResourceAsStream(PTX_RESOURCE)) {
            if (in == null) throw new UserError("the jar lacks " + PTX_RESOURCE + " (run native-bindings/build-ptx.sh and rebuild)");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UserError("cannot read " + PTX_RESOURCE + ": " + e.getMessage());
        }
    }

    public String name() { return name; }

    /** Makes this GPU's context current on the calling thread (the opening thread has it already). */
    public void makeCurrent() {
        try {
            cu.check((int) cu.cuCtxSetCurrent.invokeExact(context), "cuCtxSetCurrent");
        } catch (UserError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    MemorySegment function(String kernel) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            cu.check((int) cu.cuModuleGetFunction.invokeExact(p, module, a.allocateFrom(kernel)), "cuModuleGetFunction(" + kernel + ")");
            return p.get(ADDRESS, 0);
        } catch (UserError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Device memory for {@code floats} float32 values (uninitialised). */
    public DeviceTensor allocate(long floats) {
        if (floats < 1) floats = 1;
        try {
            int rc = (int) cu.cuMemAlloc.invokeExact(out8, 4L * floats);
            if (rc == 2) throw new UserError("CUDA: out of GPU memory allocating " + (4L * floats >> 20) + " MiB");
            cu.check(rc, "cuMemAlloc");
        } catch (UserError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return new DeviceTensor(this, out8.get(JAVA_LONG, 0), floats);
    }

    void free(long ptr) {
        try {
            int ignored = (int) cu.cuMemFree.invokeExact(ptr);
        } catch (Throwable ignored) {
            // freeing at close
        }
    }

    /** Host → device, {@code floats} values; waits until the source may be reused. */
    void upload(MemorySegment src, long srcFloat, long dst, long floats) {
        try {
            cu.check((int) cu.cuMemcpyHtoD.invokeExact(dst, src.asSlice(4 * srcFloat, 4 * floats), 4 * floats), "cuMemcpyHtoD");
        } catch (UserError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Device → host after all earlier work; {@code dst} must be native memory. */
    void download(long src, MemorySegment dst, long dstFloat, long floats) {
        try {
            cu.check((int) cu.cuMemcpyDtoH.invokeExact(dst.asSlice(4 * dstFloat, 4 * floats), src, 4 * floats), "cuMemcpyDtoH");
        } catch (UserError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    void copy(long dst, long src, long floats) {
        try {
            cu.check((int) cu.cuMemcpyDtoD.invokeExact(dst, src, 4 * floats), "cuMemcpyDtoD");
        } catch (UserError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    void zero(long ptr, long floats) {
        try {
            cu.check((int) cu.cuMemsetD32.invokeExact(ptr, 0, floats), "cuMemsetD32");
        } catch (UserError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Waits for all issued work; reports errors of earlier asynchronous kernels. */
    public void sync() {
        try {
            cu.check((int) cu.cuCtxSynchronize.invokeExact(), "cuCtxSynchronize");
        } catch (UserError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    // Row-major products of Panflow's Linear layer, mapped onto column-major cuBLAS
    // (a row-major M × N matrix is the column-major N × M transpose, same bytes).

    /** y[rows × out] = x[rows × in] · W[in × out] (+ y if accumulate). */
    void matmulNN(long x, long w, long y, int rows, int out, int in, boolean accumulate) {
        blas.sgemm(Cublas.OP_N, Cublas.OP_N, out, rows, in, w, out, x, in, y, out, accumulate);
    }

    /** dW[in × out] = xᵀ[in × rows] · dy[rows × out]. */
    void matmulTN(long x, long dy, long dw, int in, int out, int rows) {
        blas.sgemm(Cublas.OP_N, Cublas.OP_T, out, in, rows, dy, out, x, in, dw, out, false);
    }

    /** dx[rows × in] = dy[rows × out] · Wᵀ. */
    void matmulNT(long dy, long w, long dx, int rows, int in, int out) {
        blas.sgemm(Cublas.OP_T, Cublas.OP_N, in, rows, out, w, out, dy, out, dx, in, false);
    }

    /** out[cols] = Σ_rows m[rows × cols] (with a device vector of ones of length ≥ rows). */
    void sumRows(long m, long ones, long out, int rows, int cols) {
        blas.sgemv(Cublas.OP_N, cols, rows, m, cols, ones, out);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            sync();
        } catch (RuntimeException ignored) {
            // closing after an error
        }
        blas.close();
        try {
            int a = (int) cu.cuModuleUnload.invokeExact(module);
            int b = (int) cu.cuDevicePrimaryCtxRelease.invokeExact(device);
        } catch (Throwable ignored) {
            // closing
        }
        arena.close();
    }
}
