package dev.panflow.cuda;

import dev.panflow.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * float32 values in GPU memory: a device pointer and a length. Copies to and from the host are
 * explicit ({@link #upload}, {@link #download}); freed by {@link #close}.
 */
public final class DeviceTensor implements AutoCloseable {
    private final Gpu gpu;
    final long ptr;
    private final long size;
    private boolean freed;

    DeviceTensor(Gpu gpu, long ptr, long size) {
        this.gpu = gpu;
        this.ptr = ptr;
        this.size = size;
    }

    public long size() { return size; }

    /** Device address of float number {@code i}. */
    long at(long i) { return ptr + 4 * i; }

    public DeviceTensor upload(Tensor src) {
        return upload(src.segment(), src.size());
    }

    public DeviceTensor upload(MemorySegment src, long floats) {
        check(floats);
        gpu.upload(src, 0, ptr, floats);
        return this;
    }

    public void download(Tensor dst) {
        download(dst.segment(), dst.size());
    }

    public void download(MemorySegment dst, long floats) {
        check(floats);
        gpu.download(ptr, dst, 0, floats);
    }

    private void check(long floats) {
        if (floats > size) throw new IllegalArgumentException(floats + " floats > device tensor of " + size);
    }

    @Override
    public void close() {
        if (!freed) gpu.free(ptr);
        freed = true;
    }
}
