package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

import static dev.panflow.kernels.KernelTestUtil.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MatMulTest {
    interface Call { void run(MatMul mm, MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean acc); }

    static final Call[] OPS = {MatMul::nn, MatMul::tn, MatMul::nt};
    static final GemmTest.GemmFn[] SINGLE = {Gemm::nn, Gemm::tn, Gemm::nt};

    @Test
    void poolSizeDoesNotChangeBits() {
        SplittableRandom rnd = new SplittableRandom(30);
        try (Arena arena = Arena.ofShared(); Pool p1 = new Pool(1); Pool p2 = new Pool(2); Pool p3 = new Pool(3)) {
            MatMul m1 = new MatMul(p1), m2 = new MatMul(p2), m3 = new MatMul(p3);
            int[][] shapes = {{1, 1, 1}, {3, 17, 9}, {257, 33, 100}, {64, 128, 96}, {100, 257, 31}, {7, 300, 200}};
            for (int op = 0; op < 3; op++)
                for (int[] s : shapes)
                    for (boolean acc : new boolean[] {false, true}) {
                        int m = s[0], n = s[1], k = s[2];
                        MemorySegment a = random(arena, (long) m * k, rnd, -1, 1), b = random(arena, (long) k * n, rnd, -1, 1);
                        MemorySegment c0 = random(arena, (long) m * n, rnd, -1, 1);
                        MemorySegment c1 = copyOf(arena, c0), c2 = copyOf(arena, c0), c3 = copyOf(arena, c0), cg = copyOf(arena, c0);
                        OPS[op].run(m1, a, b, c1, m, n, k, acc);
                        OPS[op].run(m2, a, b, c2, m, n, k, acc);
                        OPS[op].run(m3, a, b, c3, m, n, k, acc);
                        SINGLE[op].run(a, b, cg, m, n, k, acc, 0, m);
                        String what = "op " + op + " " + m + "x" + n + "x" + k + " acc=" + acc;
                        assertBitwiseEqual(c2, c1, (long) m * n + 16, what + " pool2 vs pool1");
                        assertBitwiseEqual(c3, c1, (long) m * n + 16, what + " pool3 vs pool1");
                        assertBitwiseEqual(cg, c1, (long) m * n, what + " gemm vs pool1");
                    }
        }
    }

    @Test
    void steadyStateDoesNotAllocate() {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        int m = 128, n = 96, k = 64;
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2)) {
            SplittableRandom rnd = new SplittableRandom(31);
            MemorySegment a = random(arena, (long) m * k, rnd, -1, 1), b = random(arena, (long) k * n, rnd, -1, 1);
            MemorySegment bt = random(arena, (long) k * n, rnd, -1, 1), c = alloc(arena, (long) m * n);
            MatMul mm = new MatMul(pool);
            for (int i = 0; i < 3000; i++) {   // warm up so the JIT has compiled the path
                mm.nn(a, b, c, m, n, k, false);
                mm.tn(a, b, c, m, n, k, true);
                mm.nt(a, bt, c, m, n, k, true);
            }
            int calls = 200;
            String[] names = {"nn", "tn", "nt"};
            for (int op = 0; op < 3; op++) {
                long best = Long.MAX_VALUE;   // best of several rounds: the JIT may still be busy
                for (int round = 0; round < 10 && best >= 64; round++) {
                    long before = bean.getThreadAllocatedBytes(tid);
                    for (int i = 0; i < calls; i++) {
                        switch (op) {
                            case 0 -> mm.nn(a, b, c, m, n, k, false);
                            case 1 -> mm.tn(a, b, c, m, n, k, true);
                            default -> mm.nt(a, bt, c, m, n, k, true);
                        }
                    }
                    best = Math.min(best, (bean.getThreadAllocatedBytes(tid) - before) / calls);
                }
                assertTrue(best < 64, "MatMul." + names[op] + " allocates " + best + " bytes per call");
            }
        }
    }
}
