package dev.panflow.cuda;

import dev.panflow.UserError;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Assumptions;

/**
 * The one GPU the equivalence tests share (opened once per JVM). Where none can be opened the
 * tests are skipped with the reason printed: CI machines have no GPU.
 */
public final class TestGpu {
    private static Gpu gpu;
    private static String missing;

    private TestGpu() {}

    public static synchronized Gpu get() {
        if (gpu == null && missing == null) {
            try {
                gpu = Gpu.open(null);
                System.out.println("CUDA tests run on " + gpu.name());
            } catch (UserError e) {
                missing = e.getMessage();
                System.out.println("CUDA equivalence tests skipped: no usable GPU here (" + missing + ")");
            }
        }
        Assumptions.assumeTrue(gpu != null, () -> "no usable GPU: " + missing);
        gpu.makeCurrent();
        return gpu;
    }

    /** ‖a − b‖ / ‖b‖ over the first n values, in double; NaN anywhere gives +∞. */
    public static double relErr(Tensor a, Tensor b, long n) {
        double num = 0, den = 0;
        for (long i = 0; i < n; i++) {
            double x = a.get(i), y = b.get(i);
            if (Double.isNaN(x) || Double.isNaN(y)) return Double.POSITIVE_INFINITY;
            num += (x - y) * (x - y);
            den += y * y;
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }

    public static Tensor random(Arena arena, Rng rng, float scale, int... shape) {
        Tensor t = Tensor.allocate(arena, shape);
        rng.fillUniform(t.segment(), t.size(), -scale, scale);
        return t;
    }

    /** A host tensor filled with NaN, so unwritten outputs show. */
    public static Tensor poisoned(Arena arena, int... shape) {
        Tensor t = Tensor.allocate(arena, shape);
        t.fill(Float.NaN);
        return t;
    }

    /** Device copy of a host tensor. */
    public static DeviceTensor up(Gpu g, Tensor t) {
        return g.allocate(t.size()).upload(t);
    }

    /** Host copy of the first {@code floats} values of a device tensor. */
    public static Tensor down(Arena arena, DeviceTensor d, long floats) {
        Tensor t = Tensor.allocate(arena, (int) floats);
        d.download(t.segment(), floats);
        return t;
    }
}
