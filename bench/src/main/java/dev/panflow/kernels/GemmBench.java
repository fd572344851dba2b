package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

/**
 * Rough single-thread GEMM throughput print (not a test, no timing assertions). Run after
 * {@code bash bench/build.sh}:
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.panflow.kernels.GemmBench [size] [threads]
 */
public final class GemmBench {
    public static void main(String[] args) {
        int s = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        boolean acc = args.length > 2 && Boolean.parseBoolean(args[2]);
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(threads)) {
            SplittableRandom rnd = new SplittableRandom(1);
            MemorySegment a = BenchBuffers.random(arena, (long) s * s, rnd, -1, 1);
            MemorySegment b = BenchBuffers.random(arena, (long) s * s, rnd, -1, 1);
            MemorySegment c = BenchBuffers.alloc(arena, (long) s * s);
            MatMul mm = new MatMul(pool);
            String[] names = {"nn", "tn", "nt"};
            for (int op = 0; op < 3; op++) {
                double best = 0;
                long alloc0 = 0, reps = 0;
                for (int rep = 0; rep < 15; rep++) {
                    if (rep == 10) { alloc0 = bean.getThreadAllocatedBytes(Thread.currentThread().threadId()); reps = 0; }
                    long t0 = System.nanoTime();
                    switch (op) {
                        case 0 -> mm.nn(a, b, c, s, s, s, acc);
                        case 1 -> mm.tn(a, b, c, s, s, s, acc);
                        default -> mm.nt(a, b, c, s, s, s, acc);
                    }
                    double sec = (System.nanoTime() - t0) * 1e-9;
                    best = Math.max(best, 2.0 * s * s * s / sec * 1e-9);
                    reps++;
                }
                long alloc = (bean.getThreadAllocatedBytes(Thread.currentThread().threadId()) - alloc0) / reps;
                System.out.printf("%s %dx%dx%d threads=%d: best %.1f GFLOP/s, %d B/call allocated%n",
                        names[op], s, s, s, threads, best, alloc);
            }
        }
    }
}
