package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

import static dev.panflow.kernels.KernelTestUtil.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ElementwiseTest {
    static final int[] NS = {0, 1, 3, 7, 8, 9, 15, 17, 33, 100, 257, 1031, 5000};

    @Test
    void binaryOpsAndScaleMatchScalar() {
        SplittableRandom rnd = new SplittableRandom(10);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : NS) {
                MemorySegment a = random(arena, n, rnd, -3, 3), b = random(arena, n, rnd, -3, 3);
                MemorySegment v = alloc(arena, n), s = alloc(arena, n);
                Elementwise.add(a, b, v, n); ElementwiseScalar.add(a, b, s, n);
                assertBitwiseEqual(v, s, n, "add " + n);
                Elementwise.sub(a, b, v, n); ElementwiseScalar.sub(a, b, s, n);
                assertBitwiseEqual(v, s, n, "sub " + n);
                Elementwise.mul(a, b, v, n); ElementwiseScalar.mul(a, b, s, n);
                assertBitwiseEqual(v, s, n, "mul " + n);
                Elementwise.scale(a, 0.37f, v, n); ElementwiseScalar.scale(a, 0.37f, s, n);
                assertBitwiseEqual(v, s, n, "scale " + n);
                Elementwise.fill(v, 2.5f, n); ElementwiseScalar.fill(s, 2.5f, n);
                assertBitwiseEqual(v, s, n, "fill " + n);
                Elementwise.copy(a, v, n); ElementwiseScalar.copy(a, s, n);
                assertBitwiseEqual(v, s, n, "copy " + n);
                // axpy and aliasing out == a
                MemorySegment y1 = copyOf(arena, b), y2 = copyOf(arena, b);
                Elementwise.axpy(-0.7f, a, y1, n); ElementwiseScalar.axpy(-0.7f, a, y2, n);
                assertClose(y1, y2, n, 1e-6, "axpy " + n);
                MemorySegment al = copyOf(arena, a);
                Elementwise.add(al, b, al, n); ElementwiseScalar.add(a, b, s, n);
                assertBitwiseEqual(al, s, n, "add aliased " + n);
                // ema
                MemorySegment e1 = copyOf(arena, a), e2 = copyOf(arena, a);
                Elementwise.ema(e1, b, 0.99f, n); ElementwiseScalar.ema(e2, b, 0.99f, n);
                assertClose(e1, e2, n, 1e-6, "ema " + n);
                // untouched slack after n
                assertEquals(a.getAtIndex(F, n), al.getAtIndex(F, n), "slack " + n);
            }
        }
    }

    /** mul on a range [from, to) (dropout's per-image masks): ragged starts and lengths, in place, nothing outside touched. */
    @Test
    void rangedMulMatchesScalarInPlace() {
        SplittableRandom rnd = new SplittableRandom(11);
        try (Arena arena = Arena.ofConfined()) {
            for (int from : new int[] {0, 1, 5, 8, 13})
                for (int len : RAGGED) {
                    long to = from + len, size = to + 9;
                    MemorySegment a = random(arena, size, rnd, -3, 3), m = random(arena, size, rnd, -2, 2);
                    MemorySegment v = copyOf(arena, a), s = copyOf(arena, a);
                    Elementwise.mul(v, m, v, from, to);
                    ElementwiseScalar.mul(s, m, s, from, to);
                    assertBitwiseEqual(v, s, size, "mul [" + from + ", " + to + ")");
                    for (long i = 0; i < size; i++)
                        assertEquals(i >= from && i < to ? a.getAtIndex(F, i) * m.getAtIndex(F, i) : a.getAtIndex(F, i),
                                v.getAtIndex(F, i), 0f, "element " + i + " of [" + from + ", " + to + ")");
                }
        }
    }

    @Test
    void planeShiftAndPlaneSumsMatchScalar() {
        SplittableRandom rnd = new SplittableRandom(12);
        try (Arena arena = Arena.ofConfined()) {
            for (int hw : RAGGED)
                for (int planes : new int[] {1, 3, 10}) {
                    long n = (long) planes * hw;
                    MemorySegment x = random(arena, n, rnd, -3, 3), v = random(arena, planes, rnd, -1, 1);
                    MemorySegment a = copyOf(arena, x), b = copyOf(arena, x);
                    Elementwise.addPlanes(a, v, planes, hw); ElementwiseScalar.addPlanes(b, v, planes, hw);
                    assertBitwiseEqual(a, b, n + 16, "addPlanes " + planes + "×" + hw); // slack untouched too
                    MemorySegment sv = alloc(arena, planes), ss = alloc(arena, planes);
                    Elementwise.sumPlanes(x, sv, planes, hw); ElementwiseScalar.sumPlanes(x, ss, planes, hw);
                    assertClose(sv, ss, planes, 1e-5 * Math.sqrt(hw), "sumPlanes " + planes + "×" + hw);
                }
        }
    }

    @Test
    void biasAndSumRows() {
        SplittableRandom rnd = new SplittableRandom(11);
        try (Arena arena = Arena.ofConfined()) {
            for (int rows : new int[] {1, 3, 17, 64})
                for (int cols : RAGGED) {
                    MemorySegment y = random(arena, (long) rows * cols, rnd, -1, 1), bias = random(arena, cols, rnd, -1, 1);
                    MemorySegment y1 = copyOf(arena, y), y2 = copyOf(arena, y);
                    Elementwise.addBias(y1, bias, rows, cols); ElementwiseScalar.addBias(y2, bias, rows, cols);
                    assertBitwiseEqual(y1, y2, (long) rows * cols + 16, "addBias " + rows + "x" + cols);
                    if (rows >= 2) {   // a row range [1, rows − 1): rows outside it stay untouched
                        MemorySegment y3 = copyOf(arena, y), y4 = copyOf(arena, y);
                        Elementwise.addBias(y3, bias, 1, rows - 1, cols); ElementwiseScalar.addBias(y4, bias, 1, rows - 1, cols);
                        assertBitwiseEqual(y3, y4, (long) rows * cols + 16, "addBias rows [1, " + (rows - 1) + ") x" + cols);
                        for (long i = 0; i < cols; i++) assertEquals(y.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i),
                                y3.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i), "row 0 untouched");
                    }
                    for (boolean acc : new boolean[] {false, true}) {
                        MemorySegment o1 = random(arena, cols, rnd, -1, 1), o2 = copyOf(arena, o1);
                        Elementwise.sumRows(y, o1, rows, cols, acc); ElementwiseScalar.sumRows(y, o2, rows, cols, acc);
                        assertBitwiseEqual(o1, o2, cols + 16, "sumRows " + rows + "x" + cols + " acc=" + acc);
                    }
                }
        }
    }

    @Test
    void siluForwardBackward() {
        SplittableRandom rnd = new SplittableRandom(12);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : NS) {
                MemorySegment x = siluInput(arena, n, rnd), dy = random(arena, n, rnd, -2, 2);
                MemorySegment v = alloc(arena, n), s = alloc(arena, n);
                Elementwise.silu(x, v, n); ElementwiseScalar.silu(x, s, n);
                assertClose(v, s, n, 2e-6, "silu " + n);
                MemorySegment xa = copyOf(arena, x);
                Elementwise.silu(xa, xa, n);
                assertClose(xa, s, n, 2e-6, "silu aliased " + n);
                Elementwise.siluBackward(x, dy, v, n); ElementwiseScalar.siluBackward(x, dy, s, n);
                assertClose(v, s, n, 2e-6, "siluBackward " + n);
                MemorySegment da = copyOf(arena, dy);
                Elementwise.siluBackward(x, da, da, n);
                assertClose(da, s, n, 2e-6, "siluBackward aliased " + n);
            }
            // the backward matches a finite difference of the forward
            int n = 64;
            MemorySegment x = random(arena, n, rnd, -6, 6), one = alloc(arena, n), dx = alloc(arena, n);
            Elementwise.fill(one, 1f, n);
            Elementwise.siluBackward(x, one, dx, n);
            for (int i = 0; i < n; i++) {
                double xv = x.getAtIndex(F, i), h = 1e-4;
                double fd = (silu(xv + h) - silu(xv - h)) / (2 * h);
                assertEquals(fd, dx.getAtIndex(F, i), 1e-4, "silu' at x=" + xv);
            }
        }
    }

    static double silu(double x) { return x / (1 + Math.exp(-x)); }

    /** x in [−12, 12], with ±100, 0 and −90 (past the exp's clamp) at the front when there is room. */
    static MemorySegment siluInput(Arena arena, int n, SplittableRandom rnd) {
        MemorySegment x = random(arena, n, rnd, -12, 12);
        if (n > 4) { x.setAtIndex(F, 0, -100f); x.setAtIndex(F, 1, 100f); x.setAtIndex(F, 2, 0f); x.setAtIndex(F, 3, -90f); }
        return x;
    }

    /** The kept-gate forms: the same bits as the stateless silu and siluBackward, and close to their scalar twins. */
    @Test
    void siluWithGateIsSiluAndItsBackwardIsSiluBackward() {
        SplittableRandom rnd = new SplittableRandom(14);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : NS) {
                MemorySegment x = siluInput(arena, n, rnd), dy = random(arena, n, rnd, -2, 2);
                MemorySegment g1 = alloc(arena, n), g2 = alloc(arena, n), y1 = alloc(arena, n), y2 = alloc(arena, n),
                        y3 = alloc(arena, n);
                Elementwise.siluWithGate(x, g1, y1, 0, n);
                ElementwiseScalar.siluWithGate(x, g2, y2, n);
                Elementwise.silu(x, y3, n);
                assertBitwiseEqual(y1, y3, n, "siluWithGate's output is silu's " + n);
                assertClose(y1, y2, n, 2e-6, "siluWithGate vs scalar twin " + n);
                assertClose(g1, g2, n, 2e-6, "siluWithGate gate vs scalar twin " + n);
                MemorySegment d1 = alloc(arena, n), d2 = alloc(arena, n), d3 = alloc(arena, n);
                Elementwise.siluBackwardWithGate(x, g1, dy, d1, 0, n);
                ElementwiseScalar.siluBackwardWithGate(x, g2, dy, d2, n);
                Elementwise.siluBackward(x, dy, d3, n);
                assertBitwiseEqual(d1, d3, n, "siluBackwardWithGate is siluBackward " + n);
                assertClose(d1, d2, n, 2e-6, "siluBackwardWithGate vs scalar twin " + n);
                MemorySegment da = copyOf(arena, dy);
                Elementwise.siluBackwardWithGate(x, g1, da, da, 0, n);
                assertBitwiseEqual(da, d1, n, "siluBackwardWithGate aliased " + n);
            }
        }
    }

    @Test
    void siluGateFormsMatchTheirScalarTwinsAndTheStatelessForms() {
        SplittableRandom rnd = new SplittableRandom(13);
        try (Arena arena = Arena.ofConfined()) {
            for (int rows : new int[] {1, 3, 17})
                for (int cols : RAGGED) {
                    long n = (long) rows * cols;
                    MemorySegment y = random(arena, n, rnd, -12, 12), bias = random(arena, cols, rnd, -1, 1);
                    if (n > 4) { y.setAtIndex(F, 0, -100f); y.setAtIndex(F, 1, 100f); y.setAtIndex(F, 2, 0f); }
                    MemorySegment g1 = copyOf(arena, y), g2 = copyOf(arena, y), pre = copyOf(arena, y);
                    MemorySegment o1 = alloc(arena, n), o2 = alloc(arena, n), o3 = alloc(arena, n);
                    Elementwise.biasSiluGate(g1, bias, o1, 0, rows, cols);
                    ElementwiseScalar.biasSiluGate(g2, bias, o2, 0, rows, cols);
                    Elementwise.biasSilu(pre, bias, o3, 0, rows, cols);   // pre = y + bias kept
                    String what = rows + "x" + cols;
                    assertBitwiseEqual(o1, o3, n, "biasSiluGate's output is biasSilu's " + what);
                    assertClose(o1, o2, n, 2e-6, "biasSiluGate output vs scalar twin " + what);
                    assertClose(g1, g2, n, 2e-6, "biasSiluGate gate vs scalar twin " + what);
                    for (long i = 0; i < n; i++) {
                        double v = pre.getAtIndex(F, i);
                        assertEquals(1 / (1 + Math.exp(-v)), g1.getAtIndex(F, i), 2e-7, "gate = sigmoid(pre) at " + i + " " + what);
                    }
                    // the backward from (gate, output) against the backward from pre, and its twin; dx may alias dy
                    MemorySegment dy = random(arena, n, rnd, -2, 2), d1 = alloc(arena, n), d2 = alloc(arena, n), d3 = alloc(arena, n);
                    Elementwise.siluBackwardGate(g1, o1, dy, d1, 0, n);
                    ElementwiseScalar.siluBackwardGate(g1, o1, dy, d2, n);
                    Elementwise.siluBackward(pre, dy, d3, n);
                    assertClose(d1, d2, n, 2e-6, "siluBackwardGate vs scalar twin " + what);
                    assertClose(d1, d3, n, 1e-5, "siluBackwardGate vs siluBackward " + what);
                    MemorySegment da = copyOf(arena, dy);
                    Elementwise.siluBackwardGate(g1, o1, da, da, 0, n);
                    assertBitwiseEqual(da, d1, n, "siluBackwardGate aliased " + what);
                }
        }
    }

    @Test
    void reductionsMatchDoubleOnMillion() {
        int n = 1_000_003;
        SplittableRandom rnd = new SplittableRandom(13);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = random(arena, n, rnd, -1, 2), b = random(arena, n, rnd, -1, 1);
            double s = 0, ss = 0, d = 0;
            for (int i = 0; i < n; i++) {
                double x = a.getAtIndex(F, i), y = b.getAtIndex(F, i);
                s += x; ss += x * x; d += x * y;
            }
            // A plain float running sum is off by ~1e-5 relative here; blocked folding into double is ~1e-9.
            assertCloseD(Elementwise.sum(a, n), s, 1e-8, "sum");
            assertCloseD(Elementwise.sumSquares(a, n), ss, 1e-8, "sumSquares");
            assertEquals(d, Elementwise.dot(a, b, n), 1e-8 * ss, "dot");
            assertCloseD(ElementwiseScalar.sum(a, n), s, 1e-12, "scalar sum");
            for (int m : NS) {
                assertCloseD(Elementwise.sum(a, m), ElementwiseScalar.sum(a, m), 1e-6, "sum " + m);
                assertCloseD(Elementwise.sumSquares(a, m), ElementwiseScalar.sumSquares(a, m), 1e-6, "sumSq " + m);
                assertEquals(ElementwiseScalar.dot(a, b, m), Elementwise.dot(a, b, m), 1e-6 * (1 + m), "dot " + m);
            }
        }
    }

    @Test
    void squaredErrorGrad() {
        SplittableRandom rnd = new SplittableRandom(14);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : NS) {
                MemorySegment p = random(arena, n, rnd, -2, 2), t = random(arena, n, rnd, -2, 2);
                MemorySegment g1 = alloc(arena, n), g2 = alloc(arena, n);
                double l1 = Elementwise.squaredErrorGrad(p, t, g1, n, 0.125f);
                double l2 = ElementwiseScalar.squaredErrorGrad(p, t, g2, n, 0.125f);
                double ref = 0;
                for (int i = 0; i < n; i++) {
                    double d = (double) p.getAtIndex(F, i) - t.getAtIndex(F, i);
                    ref += d * d;
                    assertEquals(0.25 * d, g1.getAtIndex(F, i), 1e-6 * (1 + Math.abs(d)), "grad " + i);
                }
                assertCloseD(l1, ref, 1e-6, "loss " + n);
                assertCloseD(l2, ref, 1e-6, "scalar loss " + n);
                assertClose(g1, g2, n, 1e-7, "grad twin " + n);
                // grad may alias pred
                MemorySegment pa = copyOf(arena, p);
                Elementwise.squaredErrorGrad(pa, t, pa, n, 0.125f);
                assertBitwiseEqual(pa, g1, n, "aliased grad " + n);
            }
        }
    }

    @Test
    void linCombOneToSevenTermsWithAliasing() {
        SplittableRandom rnd = new SplittableRandom(15);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : NS)
                for (int terms = 0; terms <= 7; terms++) {
                    MemorySegment x = random(arena, n, rnd, -1, 1);
                    MemorySegment[] ks = new MemorySegment[terms];
                    float[] coef = new float[terms + 2];   // longer than terms on purpose
                    for (int t = 0; t < terms; t++) { ks[t] = random(arena, n, rnd, -1, 1); coef[t] = (float) rnd.nextDouble(-0.5, 0.5); }
                    MemorySegment o1 = alloc(arena, n), o2 = alloc(arena, n);
                    Elementwise.linComb(o1, x, coef, ks, terms, n);
                    ElementwiseScalar.linComb(o2, x, coef, ks, terms, n);
                    for (int i = 0; i < n; i++) {
                        double ref = x.getAtIndex(F, i);
                        for (int t = 0; t < terms; t++) ref += (double) coef[t] * ks[t].getAtIndex(F, i);
                        assertEquals(ref, o1.getAtIndex(F, i), 1e-6, "linComb terms=" + terms + " n=" + n + " i=" + i);
                    }
                    assertClose(o1, o2, n, 1e-6, "linComb twin terms=" + terms);
                    MemorySegment xa = copyOf(arena, x);
                    Elementwise.linComb(xa, xa, coef, ks, terms, n);
                    assertBitwiseEqual(xa, o1, n, "linComb aliased terms=" + terms + " n=" + n);
                }
        }
    }

    @Test
    void addScaledRowsMatchesScalarOnRaggedShapes() {
        SplittableRandom rnd = new SplittableRandom(21);
        try (Arena arena = Arena.ofConfined()) {
            for (int rows : new int[] {1, 3, 8, 17})
                for (int cols : RAGGED) {
                    long n = (long) rows * cols;
                    MemorySegment base = random(arena, n, rnd, -2, 2), slope = random(arena, n, rnd, -2, 2), s = random(arena, rows, rnd, 0, 1);
                    MemorySegment v = alloc(arena, n), sc = alloc(arena, n);
                    Elementwise.addScaledRows(base, slope, s, v, rows, cols);
                    ElementwiseScalar.addScaledRows(base, slope, s, sc, rows, cols);
                    assertBitwiseEqual(v, sc, n, "addScaledRows " + rows + "x" + cols);
                    for (int r = 0; r < rows; r++)
                        for (int c = 0; c < cols; c++) {
                            long i = (long) r * cols + c;
                            double ref = base.getAtIndex(F, i) + (double) s.getAtIndex(F, r) * slope.getAtIndex(F, i);
                            assertEquals(ref, v.getAtIndex(F, i), 1e-5, "value " + i);
                        }
                    MemorySegment al = copyOf(arena, slope);   // out aliasing slope
                    Elementwise.addScaledRows(base, al, s, al, rows, cols);
                    assertBitwiseEqual(al, v, n, "aliased " + rows + "x" + cols);
                }
        }
    }

    /** The embedding lookup-add and its scatter-add gradient: twins agree bitwise, and both equal the per-row definition. */
    @Test
    void indexedRowsMatchScalarOnRaggedShapes() {
        SplittableRandom rnd = new SplittableRandom(23);
        try (Arena arena = Arena.ofConfined()) {
            for (int rows : new int[] {1, 3, 8, 17})
                for (int cols : RAGGED) {
                    int classes = 4;
                    int[] index = new int[rows];
                    for (int r = 0; r < rows; r++) index[r] = rnd.nextInt(classes); // repeats: the scatter must sum them
                    long n = (long) rows * cols, nt = (long) classes * cols;
                    MemorySegment y = random(arena, n, rnd, -2, 2), table = random(arena, nt, rnd, -2, 2);
                    MemorySegment y1 = copyOf(arena, y), y2 = copyOf(arena, y);
                    Elementwise.addIndexedRows(y1, table, index, rows, cols);
                    ElementwiseScalar.addIndexedRows(y2, table, index, rows, cols);
                    assertBitwiseEqual(y1, y2, n, "addIndexedRows " + rows + "x" + cols);
                    for (int r = 0; r < rows; r++)
                        for (int c = 0; c < cols; c++) {
                            long i = (long) r * cols + c;
                            assertEquals(y.getAtIndex(F, i) + table.getAtIndex(F, (long) index[r] * cols + c), y1.getAtIndex(F, i), 0f, "lookup " + i);
                        }
                    MemorySegment t1 = copyOf(arena, table), t2 = copyOf(arena, table);
                    Elementwise.scatterAddRows(t1, y, index, rows, cols);
                    ElementwiseScalar.scatterAddRows(t2, y, index, rows, cols);
                    assertBitwiseEqual(t1, t2, nt, "scatterAddRows " + rows + "x" + cols);
                    for (int k = 0; k < classes; k++)
                        for (int c = 0; c < cols; c++) {
                            float ref = table.getAtIndex(F, (long) k * cols + c);
                            for (int r = 0; r < rows; r++) if (index[r] == k) ref += y.getAtIndex(F, (long) r * cols + c);
                            assertEquals(ref, t1.getAtIndex(F, (long) k * cols + c), 0f, "scatter class " + k + " col " + c);
                        }
                }
        }
    }
}
