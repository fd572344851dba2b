package dev.panflow.kernels;

import static dev.panflow.kernels.KernelTestUtil.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ParallelKernelsTest {
    @Test
    void biasSiluIsAddBiasThenSiluAndMatchesItsScalarTwin() {
        SplittableRandom rnd = new SplittableRandom(60);
        try (Arena arena = Arena.ofConfined()) {
            for (int rows : new int[] {1, 5, 33})
                for (int cols : RAGGED) {
                    long n = (long) rows * cols;
                    MemorySegment y = random(arena, n, rnd, -9, 9), bias = random(arena, cols, rnd, -1, 1);
                    MemorySegment y1 = copyOf(arena, y), y2 = copyOf(arena, y), y3 = copyOf(arena, y);
                    MemorySegment o1 = alloc(arena, n), o2 = alloc(arena, n), o3 = alloc(arena, n);
                    Elementwise.biasSilu(y1, bias, o1, 0, rows, cols);
                    Elementwise.addBias(y2, bias, rows, cols);
                    Elementwise.silu(y2, o2, n);
                    ElementwiseScalar.biasSilu(y3, bias, o3, 0, rows, cols);
                    String what = rows + "x" + cols;
                    assertBitwiseEqual(y1, y2, n + 16, "pre-activation vs addBias " + what);
                    assertBitwiseEqual(o1, o2, n + 16, "biasSilu vs addBias+silu " + what);
                    assertBitwiseEqual(y1, y3, n, "pre-activation vs scalar twin " + what);
                    assertClose(o1, o3, n, 2e-6, "biasSilu vs scalar twin " + what);
                    // In place (out = y, the sampler's inference pass): y ends up as silu(y + bias).
                    MemorySegment y4 = copyOf(arena, y), y5 = copyOf(arena, y);
                    Elementwise.biasSilu(y4, bias, y4, 0, rows, cols);
                    ElementwiseScalar.biasSilu(y5, bias, y5, 0, rows, cols);
                    assertBitwiseEqual(y4, o1, n, "in-place biasSilu " + what);
                    assertClose(y4, y5, n, 2e-6, "in-place biasSilu vs scalar twin " + what);
                }
        }
    }

    /** Split over two threads, on one, and the plain kernels: the same bits, ragged sizes included. */
    @Test
    void poolSplitsGiveTheSameBitsAsOneThread() {
        SplittableRandom rnd = new SplittableRandom(61);
        try (Arena arena = Arena.ofShared(); Pool two = new Pool(2)) {
            ParallelKernels par = new ParallelKernels(two), seq = new ParallelKernels(null);
            for (int rows : new int[] {3, 257, 300})
                for (int cols : new int[] {7, 64, 77}) {
                    long n = (long) rows * cols;
                    String what = rows + "x" + cols;
                    MemorySegment y = random(arena, n, rnd, -5, 5), bias = random(arena, cols, rnd, -1, 1);
                    MemorySegment dy = random(arena, n, rnd, -2, 2), d1 = alloc(arena, n), d2 = alloc(arena, n);
                    par.siluBackward(y, dy, d1, n);
                    Elementwise.siluBackward(y, dy, d2, n);
                    assertBitwiseEqual(d1, d2, n + 16, "siluBackward " + what);
                    par.silu(dy, d1, n);
                    Elementwise.silu(dy, d2, n);
                    assertBitwiseEqual(d1, d2, n + 16, "silu " + what);

                    MemorySegment k1 = alloc(arena, n);
                    Elementwise.siluWithGate(y, k1, d2, 0, n);
                    par.siluBackwardWithGate(y, k1, dy, d1, n);
                    Elementwise.siluBackwardWithGate(y, k1, dy, d2, 0, n);
                    assertBitwiseEqual(d1, d2, n + 16, "siluBackwardWithGate " + what);
                    par.siluBackwardWithGate(y, null, dy, d1, n);
                    Elementwise.siluBackward(y, dy, d2, n);
                    assertBitwiseEqual(d1, d2, n + 16, "siluBackwardWithGate without a gate " + what);

                    MemorySegment g1 = copyOf(arena, y), g2 = copyOf(arena, y), q1 = alloc(arena, n), q2 = alloc(arena, n);
                    par.biasSiluGate(g1, bias, q1, rows, cols);
                    seq.biasSiluGate(g2, bias, q2, rows, cols);
                    assertBitwiseEqual(g1, g2, n, "biasSiluGate gate " + what);
                    assertBitwiseEqual(q1, q2, n, "biasSiluGate out " + what);
                    par.siluBackwardGate(g1, q1, dy, d1, n);
                    Elementwise.siluBackwardGate(g1, q1, dy, d2, 0, n);
                    assertBitwiseEqual(d1, d2, n + 16, "siluBackwardGate " + what);

                    MemorySegment p1 = random(arena, n, rnd, -1, 1), p2 = copyOf(arena, p1);
                    MemorySegment m1 = alloc(arena, n), m2 = alloc(arena, n), v1 = alloc(arena, n), v2 = alloc(arena, n);
                    for (long step = 1; step <= 3; step++) {
                        MemorySegment g = random(arena, n, rnd, -1, 1);
                        par.adam(p1, g, m1, v1, n, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
                        Adam.step(p2, g, m2, v2, n, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
                    }
                    assertBitwiseEqual(p1, p2, n + 16, "adam params " + what);
                    assertBitwiseEqual(m1, m2, n, "adam m " + what);
                    assertBitwiseEqual(v1, v2, n, "adam v " + what);

                    MemorySegment e1 = copyOf(arena, p1), e2 = copyOf(arena, p1);
                    par.ema(e1, y, 0.97f, n);
                    Elementwise.ema(e2, y, 0.97f, n);
                    assertBitwiseEqual(e1, e2, n + 16, "ema " + what);
                }
        }
    }
}
