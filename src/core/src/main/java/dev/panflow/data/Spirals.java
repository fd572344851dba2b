package dev.panflow.data;

import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;

/**
 * Two-arm spiral (FFJORD's "2spirals"): n = sqrt(U)·3π (1.5 turns, density even along the
 * arm), arm point (−n·cos n + 0.5·U', n·sin n + 0.5·U''), the second arm its negation, all
 * divided by 3, plus N(0, 0.1²) noise. Extent ≈ [−3.3, 3.3]².
 */
public final class Spirals extends Toy2D {
    public static final double NOISE = 0.1;

    @Override
    public String name() { return "spirals"; }

    @Override
    void point(Rng rng, MemorySegment out, long i) {
        double n = Math.sqrt(rng.nextDouble()) * 3 * Math.PI;
        double x = -Math.cos(n) * n + 0.5 * rng.nextDouble();
        double y = Math.sin(n) * n + 0.5 * rng.nextDouble();
        double s = rng.nextLong() < 0 ? -1.0 / 3 : 1.0 / 3;
        put(out, i, s * x + NOISE * rng.nextGaussian(), s * y + NOISE * rng.nextGaussian());
    }
}
