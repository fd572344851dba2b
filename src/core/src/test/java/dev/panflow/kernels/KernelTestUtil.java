package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Helpers shared by the kernel tests. */
final class KernelTestUtil {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final int[] RAGGED = {1, 3, 7, 8, 9, 15, 16, 17, 24, 25, 33, 100, 257};

    private KernelTestUtil() {}

    /** A 64-byte-aligned segment of n floats (plus slack, since segments may be larger than needed). */
    static MemorySegment alloc(Arena arena, long n) {
        return arena.allocate(4L * n + 64, 64);
    }

    static MemorySegment random(Arena arena, long n, SplittableRandom rnd, float lo, float hi) {
        MemorySegment s = alloc(arena, n);
        for (long i = 0; i < n + 16; i++) s.setAtIndex(F, i, lo + (hi - lo) * (float) rnd.nextDouble());
        return s;
    }

    static MemorySegment copyOf(Arena arena, MemorySegment src) {
        MemorySegment s = arena.allocate(src.byteSize(), 64);
        s.copyFrom(src);
        return s;
    }

    static void assertBitwiseEqual(MemorySegment x, MemorySegment y, long n, String what) {
        for (long i = 0; i < n; i++) {
            int a = Float.floatToRawIntBits(x.getAtIndex(F, i)), b = Float.floatToRawIntBits(y.getAtIndex(F, i));
            if (a != b) fail(what + ": differs at " + i + ": " + x.getAtIndex(F, i) + " vs " + y.getAtIndex(F, i));
        }
    }

    /** |x−y| ≤ tol·(1 + |y|) elementwise. */
    static void assertClose(MemorySegment x, MemorySegment y, long n, double tol, String what) {
        for (long i = 0; i < n; i++) {
            double a = x.getAtIndex(F, i), b = y.getAtIndex(F, i);
            if (!(Math.abs(a - b) <= tol * (1 + Math.abs(b))))
                fail(what + ": at " + i + ": " + a + " vs " + b);
        }
    }

    static void assertCloseD(double actual, double expected, double relTol, String what) {
        assertEquals(expected, actual, relTol * Math.max(1e-30, Math.abs(expected)), what);
    }
}
