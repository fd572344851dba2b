package dev.panflow.data;

import dev.panflow.UserError;
import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * 8-bit pixels to the model's scale and likelihoods to bits per dimension (docs/math.md §7):
 * y = (pixel + u)/127.5 − 1 with u ~ U[0, 1), and bpd = (−log p(y) + D ln 127.5)/(D ln 2)
 * (the ln 127.5 per dimension is the Jacobian of the scaling back to [0, 256)).
 */
public final class Dequantize {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Dequantize() {}

    /** In place on n values, which must be whole numbers in [0, 255]. */
    public static void apply(MemorySegment pixels, long n, Rng rng) {
        for (long i = 0; i < n; i++) {
            float p = pixels.getAtIndex(F32, i);
            if (!(p >= 0 && p <= 255 && p == Math.rint(p)))
                throw new UserError("bitsPerDim needs 8-bit pixel values (whole numbers 0…255); value " + (i + 1) + " is " + p,
                        java.util.List.of("bitsPerDim"));
            pixels.setAtIndex(F32, i, dequantize(p, rng));
        }
    }

    /**
     * In place on n values scaled as p/127.5 − 1 from 8-bit pixels p (image data sets): recovers
     * p and dequantizes it as {@link #apply}.
     */
    public static void applyToScaled(MemorySegment y, long n, Rng rng) {
        for (long i = 0; i < n; i++) {
            double p = Math.rint((y.getAtIndex(F32, i) + 1.0) * 127.5);
            if (!(p >= 0 && p <= 255)) throw new UserError("image value " + (i + 1) + " is outside [-1, 1]: " + y.getAtIndex(F32, i));
            y.setAtIndex(F32, i, dequantize(p, rng));
        }
    }

    /** y = (p + u)/127.5 − 1, u ~ U[0, 1). */
    private static float dequantize(double p, Rng rng) {
        return (float) ((p + rng.nextDouble()) / 127.5 - 1);
    }

    /** Bits per dimension of a log-likelihood (nats) of the dequantized, rescaled point. */
    public static double bitsPerDim(double logp, int dim) {
        return (-logp + dim * Math.log(127.5)) / (dim * Math.log(2));
    }
}
