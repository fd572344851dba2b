package dev.panflow.data;

import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;

/**
 * Eight Gaussians, FFJORD's convention: centers 4·(cos θ, sin θ), θ = k·π/4, plus N(0, 0.5²)
 * noise, the whole set then divided by 1.414. So the modes sit on a circle of radius
 * 4/1.414 ≈ 2.83 with standard deviation {@link #STD} = 0.5/1.414 ≈ 0.354.
 */
public final class EightGaussians extends Toy2D {
    private static final double SHRINK = 1.414;
    public static final double RADIUS = 4 / SHRINK;
    public static final double STD = 0.5 / SHRINK;
    private static final double[] CX = new double[8], CY = new double[8];

    static {
        for (int k = 0; k < 8; k++) {
            CX[k] = RADIUS * Math.cos(k * Math.PI / 4);
            CY[k] = RADIUS * Math.sin(k * Math.PI / 4);
        }
    }

    @Override
    public String name() { return "8gaussians"; }

    @Override
    void point(Rng rng, MemorySegment out, long i) {
        int k = rng.nextInt(8);
        put(out, i, CX[k] + STD * rng.nextGaussian(), CY[k] + STD * rng.nextGaussian());
    }

    /** The 8 centers as {x, y} pairs, k = 0..7 counter-clockwise from (RADIUS, 0). */
    public static double[][] centers() {
        double[][] c = new double[8][];
        for (int k = 0; k < 8; k++) c[k] = new double[] {CX[k], CY[k]};
        return c;
    }

    /** Per mode, how many points have it as nearest center and lie within 3·STD of it. */
    public static int[] modeCoverage(MemorySegment pts, int rows) {
        int[] counts = new int[8];
        double lim2 = 9 * STD * STD;
        for (int r = 0; r < rows; r++) {
            double x = pts.getAtIndex(F32, 2L * r), y = pts.getAtIndex(F32, 2L * r + 1);
            int best = -1;
            double bestD = Double.POSITIVE_INFINITY;
            for (int k = 0; k < 8; k++) {
                double dx = x - CX[k], dy = y - CY[k], d = dx * dx + dy * dy;
                if (d < bestD) { bestD = d; best = k; }
            }
            if (best >= 0 && bestD <= lim2) counts[best]++;
        }
        return counts;
    }
}
