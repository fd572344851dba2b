package dev.panflow.data;

import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;

/**
 * The 2-D checkerboard of docs/math.md §9 (FFJORD's "checkerboard"):
 * x1 = U·4 − 2; y = U' − 2·B + (floor(x1) mod 2); point = 2·(x1, y), in [−4, 4)².
 * Half of the 4×4 board of unit squares (before the ×2) is "on": those with
 * floor(x1) + floor(y) even.
 */
public final class Checkerboard extends Toy2D {
    @Override
    public String name() { return "checkerboard"; }

    @Override
    void point(Rng rng, MemorySegment out, long i) {
        // One 64-bit draw gives both uniforms and the bit. 23-bit uniforms keep every
        // value exactly representable in float32 (|v| < 2 needs ulp 2^-23), so the float
        // rounding can never move a point onto the edge of an "off" square.
        long bits = rng.nextLong();
        double u1 = (bits >>> 41) * 0x1.0p-23;
        double u2 = ((bits >>> 18) & 0x7FFFFF) * 0x1.0p-23;
        int b = (int) (bits & 1);
        double x1 = u1 * 4 - 2;
        double y = u2 - 2 * b + Math.floorMod((int) Math.floor(x1), 2);
        put(out, i, 2 * x1, 2 * y);
    }

    /** Fraction of points on an "on" square (0 for no rows). */
    public static double onFraction(MemorySegment pts, int rows) {
        return count(pts, rows, true) / (double) Math.max(rows, 1);
    }

    /** Fraction of points inside the board [−4, 4)², on or off. */
    public static double insideFraction(MemorySegment pts, int rows) {
        return count(pts, rows, false) / (double) Math.max(rows, 1);
    }

    private static int count(MemorySegment pts, int rows, boolean onlyOn) {
        int n = 0;
        for (int r = 0; r < rows; r++) {
            float x = pts.getAtIndex(F32, 2L * r), y = pts.getAtIndex(F32, 2L * r + 1);
            // Unscaled board: unit squares a = floor(x/2), b = floor(y/2), a, b ∈ [−2, 1].
            double a = Math.floor(x / 2.0), b = Math.floor(y / 2.0);
            boolean inside = a >= -2 && a <= 1 && b >= -2 && b <= 1; // false for NaN
            if (inside && (!onlyOn || (((long) (a + b)) & 1) == 0)) n++;
        }
        return n;
    }
}
