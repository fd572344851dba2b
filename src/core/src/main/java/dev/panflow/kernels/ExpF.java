package dev.panflow.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * e^z in float32 by range reduction: z = k·ln2 + r, |r| ≤ ln2/2, e^z = 2^k·p(r) with p the
 * degree-6 Taylor polynomial (relative error ≤ 3e-7), evaluated by Estrin's scheme (three FMAs
 * deep instead of Horner's six: the loops that call it are latency-bound). The vector and scalar
 * forms run the same IEEE operations (fused multiply-adds included), so they agree bit for bit whether the JIT has
 * compiled the code or not; the Vector API's own EXP does not (its stub and its fallback differ),
 * which broke bit-exact resumes of training runs.
 */
public final class ExpF {
    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = 0.693145752f, LN2_LO = 1.42860677e-6f; // ln2 split for an exact k·ln2
    private static final float MAGIC = 12582912f; // 1.5·2^23: adding it rounds to an integer in the low bits
    private static final int MAGIC_BITS = 0x4B400000;
    private static final float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720;
    /** Beyond ±87, 2^k would leave the normal range; e^±87 already saturates sigmoid. */
    private static final float LIMIT = 87f;

    private ExpF() {}

    public static float exp(float z) {
        z = Math.max(-LIMIT, Math.min(LIMIT, z));
        float t = Math.fma(z, LOG2E, MAGIC);
        float k = t - MAGIC;
        float r = Math.fma(k, -LN2_HI, z);
        r = Math.fma(k, -LN2_LO, r);
        // Estrin's scheme: p = (1 + r + C2·r² + C3·r³) + r⁴·(C4 + C5·r + C6·r²), three FMAs deep, not six.
        float r2 = r * r, r4 = r2 * r2;
        float lo = Math.fma(Math.fma(C3, r, C2), r2, r + 1f);
        float hi = Math.fma(C6, r2, Math.fma(C5, r, C4));
        float p = Math.fma(hi, r4, lo);
        float scale = Float.intBitsToFloat((Float.floatToRawIntBits(t) - MAGIC_BITS + 127) << 23);
        return p * scale;
    }

    public static FloatVector exp(FloatVector z) {
        var sp = z.species();
        // Compare-and-blend, not max/min: those also order ±0 and NaN (five instructions each on
        // AVX2); for a clamp to ±LIMIT the results are the same, NaN passing through as in Math.max.
        z = z.blend(-LIMIT, z.compare(VectorOperators.LT, -LIMIT));
        z = z.blend(LIMIT, z.compare(VectorOperators.GT, LIMIT));
        FloatVector t = z.fma(LOG2E, MAGIC);
        FloatVector k = t.sub(MAGIC);
        FloatVector r = k.fma(FloatVector.broadcast(sp, -LN2_HI), z);
        r = k.fma(FloatVector.broadcast(sp, -LN2_LO), r);
        FloatVector r2 = r.mul(r), r4 = r2.mul(r2);
        FloatVector lo = r.fma(C3, C2).fma(r2, r.add(1f));
        FloatVector hi = r2.fma(FloatVector.broadcast(sp, C6), r.fma(C5, C4));
        FloatVector p = hi.fma(r4, lo);
        IntVector bits = (IntVector) t.reinterpretAsInts();
        FloatVector scale = (FloatVector) bits.sub(MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale);
    }
}
