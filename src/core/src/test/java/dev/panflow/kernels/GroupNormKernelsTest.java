package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static dev.panflow.kernels.KernelTestUtil.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Vector API group norm agrees with its double-precision scalar twin on ragged shapes. */
class GroupNormKernelsTest {
    /** {channels, groups, hw}: plane sizes below, at and past the vector length, 1 to 8 channels per group. */
    static final int[][] SHAPES = {{1, 1, 1}, {2, 1, 3}, {4, 2, 7}, {6, 3, 17}, {8, 4, 49}, {8, 1, 50}, {16, 2, 33}, {32, 8, 196}, {12, 4, 257}};

    @Test
    void forwardJvpAndBackwardMatchScalar() {
        SplittableRandom rnd = new SplittableRandom(21);
        try (Arena arena = Arena.ofConfined()) {
            for (int[] sh : SHAPES)
                for (float offset : new float[] {0f, 40f}) { // a large mean must not cancel
                    int c = sh[0], g = sh[1], hw = sh[2], n = 1 + rnd.nextInt(3), slots = n * g;
                    long size = (long) n * c * hw;
                    String what = c + "ch/" + g + "g/hw" + hw + "/n" + n + (offset != 0 ? " offset" : "");
                    MemorySegment x = random(arena, size, rnd, offset - 2, offset + 3), gamma = random(arena, c, rnd, 0.5f, 1.5f),
                            beta = random(arena, c, rnd, -0.5f, 0.5f), dy = random(arena, size, rnd, -1, 1), t = random(arena, size, rnd, -1, 1);
                    double[] mv = new double[slots], rv = new double[slots], ms = new double[slots], rs = new double[slots];
                    MemorySegment yv = alloc(arena, size), ys = alloc(arena, size);
                    GroupNormKernels.forward(x, yv, gamma, beta, mv, rv, c, g, hw, 0, slots);
                    GroupNormScalar.forward(x, ys, gamma, beta, ms, rs, c, g, hw, 0, slots);
                    for (int s = 0; s < slots; s++) {
                        assertCloseD(mv[s], ms[s], 1e-6, what + " mean " + s);
                        assertCloseD(rv[s], rs[s], 2e-4, what + " rstd " + s);
                    }
                    assertClose(yv, ys, size, 2e-4, what + " forward");

                    MemorySegment jv = alloc(arena, size), js = alloc(arena, size);
                    GroupNormKernels.jvp(x, t, jv, gamma, ms, rs, c, g, hw, 0, slots);
                    GroupNormScalar.jvp(x, t, js, gamma, ms, rs, c, g, hw, 0, slots);
                    assertClose(jv, js, size, 2e-4, what + " jvp");

                    MemorySegment dxv = alloc(arena, size), dxs = alloc(arena, size);
                    double[] dgv = new double[n * c], dbv = new double[n * c], dgs = new double[n * c], dbs = new double[n * c];
                    GroupNormKernels.backward(x, dy, dxv, gamma, ms, rs, dgv, dbv, c, g, hw, 0, slots);
                    GroupNormScalar.backward(x, dy, dxs, gamma, ms, rs, dgs, dbs, c, g, hw, 0, slots);
                    assertClose(dxv, dxs, size, 2e-4, what + " backward dx");
                    for (int i = 0; i < n * c; i++) {
                        assertEquals(dbs[i], dbv[i], 1e-4 * (1 + Math.abs(dbs[i])), what + " dβ " + i);
                        assertEquals(dgs[i], dgv[i], 1e-4 * (1 + Math.abs(dgs[i])), what + " dγ " + i);
                    }
                }
        }
    }

    /**
     * forwardSilu / backwardSilu are bitwise the group norm and the SiLU run one after the other
     * (gate kept, and gate recomputed), on a slot range that starts past 0; and close to the scalar twins.
     */
    @Test
    void siluFusedPassesAreBitwiseTheTwoSteps() {
        SplittableRandom rnd = new SplittableRandom(24);
        try (Arena arena = Arena.ofConfined()) {
            for (int[] sh : SHAPES)
                for (boolean keepGate : new boolean[] {true, false}) {
                    int c = sh[0], g = sh[1], hw = sh[2], n = 1 + rnd.nextInt(3), slots = n * g, from = slots > 1 ? 1 : 0;
                    long size = (long) n * c * hw, first = (long) from * (c / g) * hw;
                    String what = c + "ch/" + g + "g/hw" + hw + "/n" + n + (keepGate ? " gate" : " no gate");
                    MemorySegment x = random(arena, size, rnd, -3, 4), gamma = random(arena, c, rnd, 0.5f, 1.5f),
                            beta = random(arena, c, rnd, -0.5f, 0.5f), dOut = random(arena, size, rnd, -1, 1);
                    double[] m1 = new double[slots], r1 = new double[slots], m2 = new double[slots], r2 = new double[slots],
                            m3 = new double[slots], r3 = new double[slots];
                    MemorySegment a1 = alloc(arena, size), y1 = alloc(arena, size), a2 = alloc(arena, size), y2 = alloc(arena, size),
                            a3 = alloc(arena, size), y3 = alloc(arena, size);
                    MemorySegment g1 = keepGate ? alloc(arena, size) : null, g2 = keepGate ? alloc(arena, size) : null,
                            g3 = keepGate ? alloc(arena, size) : null;
                    GroupNormKernels.forwardSilu(x, a1, g1, y1, gamma, beta, m1, r1, c, g, hw, from, slots);
                    GroupNormKernels.forward(x, a2, gamma, beta, m2, r2, c, g, hw, from, slots);
                    if (keepGate) Elementwise.siluWithGate(a2, g2, y2, first, size);
                    else Elementwise.silu(a2, y2, first, size);
                    assertBitwiseEqual(a1, a2, size, what + " group norm output");
                    assertBitwiseEqual(y1, y2, size, what + " silu output");
                    if (keepGate) assertBitwiseEqual(g1, g2, size, what + " gate");
                    GroupNormScalar.forwardSilu(x, a3, g3, y3, gamma, beta, m3, r3, c, g, hw, from, slots);
                    assertClose(y1, y3, size, 2e-4, what + " silu output vs scalar");
                    if (keepGate) assertClose(g1, g3, size, 2e-4, what + " gate vs scalar");

                    MemorySegment d1 = copy(arena, dOut, size), d2 = copy(arena, dOut, size), d3 = copy(arena, dOut, size);
                    MemorySegment dx1 = alloc(arena, size), dx2 = alloc(arena, size), dx3 = alloc(arena, size);
                    double[] dg1 = new double[n * c], db1 = new double[n * c], dg2 = new double[n * c], db2 = new double[n * c],
                            dg3 = new double[n * c], db3 = new double[n * c];
                    GroupNormKernels.backwardSilu(x, a1, g1, d1, dx1, gamma, m1, r1, dg1, db1, c, g, hw, from, slots);
                    if (keepGate) Elementwise.siluBackwardWithGate(a2, g2, d2, d2, first, size);
                    else Elementwise.siluBackward(a2, d2, d2, first, size);
                    GroupNormKernels.backward(x, d2, dx2, gamma, m2, r2, dg2, db2, c, g, hw, from, slots);
                    assertBitwiseEqual(d1, d2, size, what + " dL/da");
                    assertBitwiseEqual(dx1, dx2, size, what + " dL/dx");
                    for (int i = 0; i < n * c; i++) {
                        assertEquals(Double.doubleToRawLongBits(db2[i]), Double.doubleToRawLongBits(db1[i]), what + " dβ " + i);
                        assertEquals(Double.doubleToRawLongBits(dg2[i]), Double.doubleToRawLongBits(dg1[i]), what + " dγ " + i);
                    }
                    GroupNormScalar.backwardSilu(x, a3, g3, d3, dx3, gamma, m3, r3, dg3, db3, c, g, hw, from, slots);
                    assertClose(dx1, dx3, size, 2e-3, what + " dL/dx vs scalar");
                }
        }
    }

    private static MemorySegment copy(Arena arena, MemorySegment src, long size) {
        return alloc(arena, size).copyFrom(src.asSlice(0, 4 * size));
    }

    @Test
    void slotRangesComposeBitwise() {
        SplittableRandom rnd = new SplittableRandom(22);
        try (Arena arena = Arena.ofConfined()) {
            int c = 8, g = 4, hw = 23, n = 3, slots = n * g;
            long size = (long) n * c * hw;
            MemorySegment x = random(arena, size, rnd, -2, 2), gamma = random(arena, c, rnd, 0.5f, 1.5f), beta = random(arena, c, rnd, -1, 1);
            MemorySegment whole = alloc(arena, size), parts = alloc(arena, size);
            double[] m1 = new double[slots], r1 = new double[slots], m2 = new double[slots], r2 = new double[slots];
            GroupNormKernels.forward(x, whole, gamma, beta, m1, r1, c, g, hw, 0, slots);
            GroupNormKernels.forward(x, parts, gamma, beta, m2, r2, c, g, hw, 0, 5);
            GroupNormKernels.forward(x, parts, gamma, beta, m2, r2, c, g, hw, 5, slots);
            assertBitwiseEqual(whole, parts, size, "forward split at slot 5");
        }
    }

    /** LaneSum adds in its documented order, in the interpreter and after C2 has compiled it. */
    @Test
    void laneSumIsTheFixedPairwiseOrderInEveryTier() {
        SplittableRandom rnd = new SplittableRandom(23);
        int l = FloatVector.SPECIES_PREFERRED.length();
        float[] a = new float[l];
        for (int rep = 0; rep < 30_000; rep++) {
            for (int i = 0; i < l; i++) a[i] = (float) ((rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(-3, 6)));
            float[] v = a.clone();
            for (int k = l / 2; k >= 1; k /= 2) {
                float[] w = new float[l];
                for (int i = 0; i < l; i++) w[i] = v[i] + v[(i + k) % l];
                v = w;
            }
            float got = LaneSum.of(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, a, 0));
            if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(v[0]))
                throw new AssertionError("rep " + rep + ": " + got + " vs " + v[0]);
        }
    }
}
