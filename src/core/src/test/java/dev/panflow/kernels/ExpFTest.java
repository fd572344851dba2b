package dev.panflow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.tensor.Rng;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class ExpFTest {
    @Test
    void closeToMathExpOverTheUsefulRange() {
        Rng rng = new Rng(1);
        double worst = 0;
        for (int i = 0; i < 200_000; i++) {
            float z = -87f + 174f * rng.nextFloat();
            double rel = Math.abs(ExpF.exp(z) - Math.exp(z)) / Math.exp(z);
            worst = Math.max(worst, rel);
        }
        assertTrue(worst < 5e-7, "worst relative error " + worst);
        assertEquals(1f, ExpF.exp(0f));
        assertEquals(Math.exp(87), ExpF.exp(1000f), Math.exp(87) * 1e-6); // clamped, never Inf
        assertTrue(ExpF.exp(-1000f) > 0);
    }

    @Test
    void vectorAndScalarAgreeBitForBit() {
        var species = FloatVector.SPECIES_PREFERRED;
        Rng rng = new Rng(2);
        float[] in = new float[species.length()], out = new float[species.length()];
        for (int round = 0; round < 5000; round++) {
            for (int j = 0; j < in.length; j++) in[j] = (rng.nextFloat() - 0.5f) * (round % 2 == 0 ? 20f : 200f);
            ExpF.exp(FloatVector.fromArray(species, in, 0)).intoArray(out, 0);
            for (int j = 0; j < in.length; j++)
                assertEquals(Float.floatToRawIntBits(ExpF.exp(in[j])), Float.floatToRawIntBits(out[j]), "z = " + in[j]);
        }
    }

    @Test
    void vectorAndScalarAgreeOnTheClampsEdgesAndSpecials() {
        var species = FloatVector.SPECIES_PREFERRED;
        float[] specials = {0f, -0f, 87f, -87f, Math.nextUp(87f), Math.nextDown(-87f), 1000f, -1000f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.MIN_VALUE, -Float.MIN_VALUE};
        float[] in = new float[species.length()], out = new float[species.length()];
        for (int start = 0; start < specials.length; start++) {
            for (int j = 0; j < in.length; j++) in[j] = specials[(start + j) % specials.length];
            ExpF.exp(FloatVector.fromArray(species, in, 0)).intoArray(out, 0);
            for (int j = 0; j < in.length; j++)
                assertEquals(Float.floatToRawIntBits(ExpF.exp(in[j])), Float.floatToRawIntBits(out[j]), "z = " + in[j]);
        }
    }
}
