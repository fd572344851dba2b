package dev.panflow.data;

import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;

/**
 * Two interleaving half circles (scikit-learn's make_moons): upper (cos t, sin t) and lower
 * (1 − cos t, 0.5 − sin t), t ~ U[0, π], Gaussian noise 0.1; then centered on (0.5, 0.25) and
 * scaled by 2, so x ∈ ≈[−3, 3], y ∈ ≈[−1.5, 1.5].
 */
public final class Moons extends Toy2D {
    public static final double NOISE = 0.1, SCALE = 2;

    @Override
    public String name() { return "moons"; }

    @Override
    void point(Rng rng, MemorySegment out, long i) {
        double t = Math.PI * rng.nextDouble();
        double x, y;
        if (rng.nextLong() < 0) { x = Math.cos(t); y = Math.sin(t); }
        else { x = 1 - Math.cos(t); y = 0.5 - Math.sin(t); }
        x += NOISE * rng.nextGaussian();
        y += NOISE * rng.nextGaussian();
        put(out, i, SCALE * (x - 0.5), SCALE * (y - 0.25));
    }
}
