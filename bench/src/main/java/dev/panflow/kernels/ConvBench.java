package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * Conv forward/backward throughput of a {@link ConvKernels} on the U-Net's shapes (not a test).
 * After {@code bash bench/build.sh}:
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.panflow.kernels.ConvBench [threads] [batch] [im2col]
 * ({@code im2col}: the im2col + GEMM fallback for every shape, for comparison)
 */
public final class ConvBench {
    public static final ConvShape[] SHAPES = {
            new ConvShape(64, 32, 28, 28, 32, 3, 3, 1, 1),
            new ConvShape(64, 32, 28, 28, 32, 3, 3, 2, 1),
            new ConvShape(64, 64, 14, 14, 64, 3, 3, 1, 1),
            new ConvShape(64, 64, 7, 7, 64, 3, 3, 1, 1),
            new ConvShape(64, 1, 28, 28, 32, 3, 3, 1, 1),
            new ConvShape(64, 32, 28, 28, 1, 3, 3, 1, 1)};

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        try (Arena a = Arena.ofShared(); Pool pool = new Pool(threads); JvmConv conv = new JvmConv(pool, !(args.length > 2 && args[2].equals("im2col")))) {
            SplittableRandom rnd = new SplittableRandom(1);
            for (int idx = 0; idx < SHAPES.length; idx++) {
                ConvShape s0 = SHAPES[idx];
                ConvShape sh = new ConvShape(batch, s0.c(), s0.h(), s0.w(), s0.k(), s0.r(), s0.s(), s0.stride(), s0.pad());
                MemorySegment x = BenchBuffers.random(a, sh.xSize(), rnd, -1, 1), w = BenchBuffers.random(a, sh.wSize(), rnd, -1, 1);
                MemorySegment y = BenchBuffers.random(a, sh.ySize(), rnd, -1, 1), b = BenchBuffers.random(a, sh.k(), rnd, -1, 1);
                MemorySegment dx = a.allocate(4 * sh.xSize(), 64), dw = a.allocate(4 * sh.wSize(), 64), db = a.allocate(4L * sh.k(), 64);
                double[] best = {1e9, 1e9, 1e9};
                for (int rep = 0; rep < 12; rep++) {
                    long t0 = System.nanoTime();
                    conv.forward(sh, x, w, b, y);
                    long t1 = System.nanoTime();
                    conv.backwardData(sh, y, w, dx);
                    long t2 = System.nanoTime();
                    conv.backwardWeights(sh, x, y, dw, db);
                    long t3 = System.nanoTime();
                    best[0] = Math.min(best[0], (t1 - t0) * 1e-9);
                    best[1] = Math.min(best[1], (t2 - t1) * 1e-9);
                    best[2] = Math.min(best[2], (t3 - t2) * 1e-9);
                }
                double f = sh.flops() * 1e-9;
                System.out.printf("%-60s fwd %7.2f ms (%5.1f GFLOP/s)  bwdData %7.2f ms (%5.1f)  bwdW %7.2f ms (%5.1f)%n", sh,
                        best[0] * 1e3, f / best[0], best[1] * 1e3, f / best[1], best[2] * 1e3, f / best[2]);
                System.out.printf("RESULT %d %.3f %.3f %.3f%n", idx, best[0] * 1e3, best[1] * 1e3, best[2] * 1e3);
            }
        }
    }
}
