package dev.panflow.tensor;

import java.lang.foreign.Arena;

/**
 * The buffers of one training or sampling step, allocated once in a shared arena and reused
 * every step, so the steady state allocates nothing. Closing it frees them all.
 * Shared (not confined) because the kernel pool's worker threads read and write them.
 */
public final class Workspace implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private long bytes;

    public Tensor tensor(int... shape) {
        Tensor t;
        try {
            t = Tensor.allocate(arena, shape);
        } catch (OutOfMemoryError e) {
            throw new dev.panflow.UserError("cannot allocate a " + java.util.Arrays.toString(shape)
                    + " buffer off-heap (" + e.getMessage() + "); use smaller sizes");
        }
        bytes += 4L * t.size();
        return t;
    }

    public Arena arena() { return arena; }

    /** Bytes handed out so far (to report and to check memory stays flat). */
    public long bytes() { return bytes; }

    /** Frees every buffer; a second call does nothing. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
