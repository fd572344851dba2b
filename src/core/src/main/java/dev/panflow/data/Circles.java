package dev.panflow.data;

import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;

/**
 * Two concentric circles, radii 3 and 1.5 (make_circles with factor 0.5, scaled by 3), each
 * point drawn uniformly in angle with isotropic Gaussian noise of std {@link #NOISE}.
 */
public final class Circles extends Toy2D {
    public static final double OUTER = 3, INNER = 1.5, NOISE = 0.1;

    @Override
    public String name() { return "circles"; }

    @Override
    void point(Rng rng, MemorySegment out, long i) {
        double a = 2 * Math.PI * rng.nextDouble();
        double r = rng.nextLong() < 0 ? OUTER : INNER;
        put(out, i, r * Math.cos(a) + NOISE * rng.nextGaussian(), r * Math.sin(a) + NOISE * rng.nextGaussian());
    }
}
