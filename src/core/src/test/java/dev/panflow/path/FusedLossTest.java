package dev.panflow.path;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.panflow.kernels.Elementwise;
import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** sampleInputs + lossAndGrad (target built inside the loss) against sample + squaredErrorGrad. */
class FusedLossTest {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Test
    void fusedTargetAndLossGiveTheSameGradientBitsAndLoss() {
        Rng rng = new Rng(5);
        try (Arena arena = Arena.ofConfined()) {
            for (AffinePath p : PathTest.paths())
                for (int[] shape : new int[][] {{1, 1}, {7, 2}, {33, 3}, {64, 17}}) {
                    int rows = shape[0], dim = shape[1];
                    long n = (long) rows * dim;
                    MemorySegment x0 = arena.allocate(4 * n), x1 = arena.allocate(4 * n), t = arena.allocate(4L * rows);
                    MemorySegment v = arena.allocate(4 * n), xt = arena.allocate(4 * n), ut = arena.allocate(4 * n);
                    MemorySegment xt2 = arena.allocate(4 * n), coef = arena.allocate(16L * rows);
                    MemorySegment g1 = arena.allocate(4 * n), g2 = arena.allocate(4 * n);
                    rng.fillGaussian(x0, n, 1f);
                    rng.fillGaussian(x1, n, 2f);
                    rng.fillGaussian(v, n, 1.5f);
                    rng.fillUniform(t, rows, 0f, p.tMax());
                    p.sample(x0, x1, t, xt, ut, rows, dim);
                    double ref = Elementwise.squaredErrorGrad(v, ut, g1, n, 0.25f);
                    p.sampleInputs(x0, x1, t, xt2, coef, rows, dim);
                    double fused = AffinePath.lossAndGrad(v, x0, x1, coef, g2, rows, dim, 0.25f);
                    String what = p.name() + " " + rows + "x" + dim;
                    assertEquals(ref, fused, 1e-6 * (1 + Math.abs(ref)), "loss " + what);
                    double direct = 0;
                    for (long i = 0; i < n; i++) {
                        assertEquals(xt.getAtIndex(F32, i), xt2.getAtIndex(F32, i), "xt " + what + " at " + i);
                        assertEquals(Float.floatToRawIntBits(g1.getAtIndex(F32, i)), Float.floatToRawIntBits(g2.getAtIndex(F32, i)),
                                "grad " + what + " at " + i);
                        double d = (double) v.getAtIndex(F32, i) - ut.getAtIndex(F32, i);
                        direct += d * d;
                    }
                    assertEquals(direct, fused, 1e-5 * (1 + direct), "loss vs its definition " + what);
                }
        }
    }
}
