package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

import static dev.panflow.kernels.KernelTestUtil.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training loop's elementwise kernels must not allocate once compiled (vectors not boxed).
 * Each kernel runs from its own small lambda: inlined together into one huge caller, C2 ran out
 * of inlining budget and boxed vectors, which the layer code should also keep in mind.
 */
class AllocationTest {
    @Test
    void elementwiseAndAdamSteadyStateDoNotAllocate() {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        int n = 4099;
        try (Arena arena = Arena.ofConfined()) {
            SplittableRandom rnd = new SplittableRandom(40);
            MemorySegment x = random(arena, n, rnd, -3, 3), y = random(arena, n, rnd, -3, 3), z = alloc(arena, n);
            MemorySegment m = alloc(arena, n), v = alloc(arena, n), p = random(arena, n, rnd, -1, 1);
            MemorySegment[] ks = {x, y, x, y, x, y, x};
            float[] coef = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f};
            double[] sink = new double[1];
            int[] rep = new int[1];
            String[] names = {"silu", "siluBackward", "linComb", "squaredErrorGrad", "sum", "dot", "sumSquares",
                    "addBias/sumRows", "axpy/ema", "Adam"};
            Runnable[] bodies = {
                () -> Elementwise.silu(x, z, n),
                () -> Elementwise.siluBackward(x, y, z, n),
                () -> Elementwise.linComb(z, x, coef, ks, 1 + rep[0] % 7, n),
                () -> sink[0] += Elementwise.squaredErrorGrad(x, y, z, n, 0.5f),
                () -> sink[0] += Elementwise.sum(x, n),
                () -> sink[0] += Elementwise.dot(x, y, n),
                () -> sink[0] += Elementwise.sumSquares(y, n),
                () -> { Elementwise.addBias(z, x, 64, 64); Elementwise.sumRows(z, m, 64, 64, rep[0] % 2 == 0); },
                () -> { Elementwise.axpy(0.1f, x, z, n); Elementwise.ema(m, x, 0.99f, n); },
                () -> Adam.step(p, y, m, v, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1 + rep[0]),
            };
            for (int i = 0; i < bodies.length; i++) {
                // Warm up, then measure rounds until one is allocation-free: on a busy machine the
                // JIT may still be compiling (interpreted or C1 vector code boxes everything).
                // Rounds go on for up to 20 s: with the machine shared by other builds, C2's queue
                // held squaredErrorGrad back for longer than 20 quick rounds (the test failed about
                // half of the time under load average 9, at this commit's parent too).
                long best = Long.MAX_VALUE, deadline = System.nanoTime() + 20_000_000_000L;
                for (rep[0] = 0; rep[0] < 2000; rep[0]++) bodies[i].run();
                for (int round = 0; best >= 64 && (round < 20 || System.nanoTime() < deadline); round++) {
                    int reps = 200;
                    long before = bean.getThreadAllocatedBytes(tid);
                    for (int r = 0; r < reps; r++, rep[0]++) bodies[i].run();
                    best = Math.min(best, (bean.getThreadAllocatedBytes(tid) - before) / reps);
                }
                assertTrue(best < 64, names[i] + " allocates " + best + " bytes per call");
            }
        }
    }
}
