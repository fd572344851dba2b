package dev.panflow.kernels;

import static dev.panflow.kernels.KernelTestUtil.F;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assertions;

/**
 * Checks a {@link ConvKernels} against {@link ConvScalar} on random data: forward with and
 * without bias, backward data and weights, outputs pre-filled with NaN (they must be
 * overwritten). Reusable by every backend's test.
 */
public final class ConvAgreement {
    /** Ragged shapes: stride 1 and 2, padding 0 and 1, 1×1, non-square kernels, odd sizes, batches over 1024 output columns. */
    public static final List<ConvShape> SHAPES = List.of(
            new ConvShape(2, 3, 7, 5, 4, 3, 3, 1, 1),
            new ConvShape(1, 1, 9, 9, 5, 3, 3, 2, 1),
            new ConvShape(3, 5, 8, 6, 7, 3, 3, 2, 1),
            new ConvShape(2, 4, 6, 7, 3, 1, 1, 1, 0),
            new ConvShape(1, 2, 5, 11, 9, 3, 2, 1, 0),
            new ConvShape(2, 6, 10, 10, 17, 3, 3, 2, 0),
            new ConvShape(1, 3, 4, 4, 2, 4, 4, 1, 1),
            new ConvShape(2, 9, 14, 14, 10, 3, 3, 1, 1),
            new ConvShape(5, 3, 20, 20, 4, 3, 3, 1, 1),    // several image groups in one call, the last one short
            new ConvShape(9, 2, 30, 30, 3, 3, 3, 2, 1));

    private ConvAgreement() {}

    public static void check(ConvKernels impl, double relTol) {
        check(impl, relTol, SHAPES);
    }

    public static void check(ConvKernels impl, double relTol, List<ConvShape> shapes) {
        ConvScalar ref = new ConvScalar();
        SplittableRandom rnd = new SplittableRandom(42);
        for (ConvShape sh : shapes) {
            try (Arena a = Arena.ofShared()) {
                MemorySegment x = rand(a, sh.xSize(), rnd), w = rand(a, sh.wSize(), rnd), b = rand(a, sh.k(), rnd);
                MemorySegment dy = rand(a, sh.ySize(), rnd);
                for (boolean bias : new boolean[] {true, false}) {
                    MemorySegment bb = bias ? b : MemorySegment.NULL;
                    MemorySegment y1 = nan(a, sh.ySize()), y2 = nan(a, sh.ySize());
                    impl.forward(sh, x, w, bb, y1);
                    ref.forward(sh, x, w, bb, y2);
                    close(y1, y2, sh.ySize(), relTol, impl.name() + " forward " + sh + " bias " + bias);
                }
                MemorySegment dx1 = nan(a, sh.xSize()), dx2 = nan(a, sh.xSize());
                impl.backwardData(sh, dy, w, dx1);
                ref.backwardData(sh, dy, w, dx2);
                close(dx1, dx2, sh.xSize(), relTol, impl.name() + " backwardData " + sh);
                MemorySegment dw1 = nan(a, sh.wSize()), dw2 = nan(a, sh.wSize()), db1 = nan(a, sh.k()), db2 = nan(a, sh.k());
                impl.backwardWeights(sh, x, dy, dw1, db1);
                ref.backwardWeights(sh, x, dy, dw2, db2);
                close(dw1, dw2, sh.wSize(), relTol, impl.name() + " backwardWeights dw " + sh);
                close(db1, db2, sh.k(), relTol, impl.name() + " backwardWeights db " + sh);
                impl.backwardWeights(sh, x, dy, dw1, MemorySegment.NULL);
                close(dw1, dw2, sh.wSize(), relTol, impl.name() + " backwardWeights without db " + sh);
            }
        }
    }

    static MemorySegment rand(Arena a, long n, SplittableRandom rnd) {
        MemorySegment s = a.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(F, i, (float) (2 * rnd.nextDouble() - 1));
        return s;
    }

    static MemorySegment nan(Arena a, long n) {
        MemorySegment s = a.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(F, i, Float.NaN);
        return s;
    }

    /** Relative error ‖x − y‖∞ / max(1, ‖y‖∞) ≤ tol. */
    static void close(MemorySegment x, MemorySegment y, long n, double tol, String what) {
        double scale = 1, worst = 0;
        for (long i = 0; i < n; i++) scale = Math.max(scale, Math.abs(y.getAtIndex(F, i)));
        for (long i = 0; i < n; i++) {
            double d = Math.abs(x.getAtIndex(F, i) - y.getAtIndex(F, i));
            if (!(d <= tol * scale)) Assertions.fail(what + ": at " + i + ": " + x.getAtIndex(F, i) + " vs " + y.getAtIndex(F, i));
            worst = Math.max(worst, d);
        }
    }
}
