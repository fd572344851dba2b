package dev.panflow.nn;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Nearest-neighbour 2× upsampling of planes h × w → 2h × 2w; backward sums each 2×2 block. */
public final class Upsample2x {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Upsample2x() {}

    /** {@code planes} = n·channels. */
    public static void forward(MemorySegment x, MemorySegment y, int planes, int h, int w) {
        int w2 = 2 * w;
        for (long p = 0; p < planes; p++) {
            long xb = p * h * w, yb = p * 4L * h * w;
            for (int i = 0; i < h; i++) {
                long row = yb + 2L * i * w2;
                for (int j = 0; j < w; j++) {
                    float v = x.getAtIndex(F, xb + (long) i * w + j);
                    y.setAtIndex(F, row + 2L * j, v);
                    y.setAtIndex(F, row + 2L * j + 1, v);
                }
                MemorySegment.copy(y, 4 * row, y, 4 * (row + w2), 4L * w2);
            }
        }
    }

    /** Forward mode: the map is linear, so the tangent is upsampled alike. */
    public static void jvp(MemorySegment dx, MemorySegment dy, int planes, int h, int w) { forward(dx, dy, planes, h, w); }

    public static void backward(MemorySegment dy, MemorySegment dx, int planes, int h, int w) {
        int w2 = 2 * w;
        for (long p = 0; p < planes; p++) {
            long xb = p * h * w, yb = p * 4L * h * w;
            for (int i = 0; i < h; i++) {
                long r0 = yb + 2L * i * w2, r1 = r0 + w2;
                for (int j = 0; j < w; j++)
                    dx.setAtIndex(F, xb + (long) i * w + j, dy.getAtIndex(F, r0 + 2L * j) + dy.getAtIndex(F, r0 + 2L * j + 1)
                            + dy.getAtIndex(F, r1 + 2L * j) + dy.getAtIndex(F, r1 + 2L * j + 1));
            }
        }
    }
}
