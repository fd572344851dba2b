package dev.panflow.train;

import dev.panflow.sampling.Sampler;
import dev.panflow.UserError;
import dev.panflow.nn.MlpConfig;
import java.lang.management.ManagementFactory;

/**
 * Off-heap bytes a run will need, estimated from its flags before anything is allocated, and
 * refused with the limit stated when they cannot fit: better than an out-of-memory an hour in.
 * The limit is 80 % of the machine's (or container's) physical memory.
 */
public final class MemoryBudget {
    private MemoryBudget() {}

    /** Floats of one forward/backward pass over {@code rows} rows (Mlp.Activations). */
    static long activationFloats(MlpConfig m, long rows) {
        return rows * (2 * m.inputWidth() + (2L * m.layers() + 2) * m.hidden() + m.dim());
    }

    /** Parameters, gradients, EMA and both Adam moments; the batch's activations and path buffers. */
    public static long trainingBytes(MlpConfig m, int batch) {
        return 4 * (5 * m.parameterCount() + activationFloats(m, batch) + (long) batch * (5L * m.dim() + 1));
    }

    /** Weights; n samples with the solver's stage buffers (up to 12 copies, dopri5); activations of one chunk. */
    public static long samplingBytes(MlpConfig m, long n) {
        return 4 * (m.parameterCount() + 12 * n * m.dim() + activationFloats(m, Math.min(n, Sampler.CHUNK_ROWS)));
    }

    public static long limit() {
        long total = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        return total / 5 * 4;
    }

    /** Refuses {@code bytes} over the limit, naming {@code what} (the parameters that set the size, listed in {@code parameters}). */
    public static void check(long bytes, String what, String... parameters) {
        long limit = limit();
        if (bytes < 0 || bytes > limit)
            throw new UserError(what + " needs about " + human(bytes < 0 ? Long.MAX_VALUE : bytes) + " of off-heap buffers; the limit on this machine is "
                    + human(limit) + " (80% of its memory)", java.util.List.of(parameters));
    }

    static String human(long b) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = b;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
        return String.format("%.1f %s", v, units[u]);
    }
}
