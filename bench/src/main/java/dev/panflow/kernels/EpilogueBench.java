package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * One thread, one process: a hidden layer's forward pass as GEMM then bias+SiLU
 * ({@link Gemm#nnPacked} + {@link Elementwise#biasSilu}) against the fused epilogue
 * ({@link Gemm#nnPackedBiasSilu}), alternating every block so machine load hits both alike.
 * Shapes: the sampler's chunk (512 rows, post = pre) and a training piece (keeps pre).
 * After {@code bash bench/build.sh}: {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * dev.panflow.kernels.EpilogueBench [rows] [hidden] [seconds]}
 */
public final class EpilogueBench {
    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        int h = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 20;
        SplittableRandom rnd = new SplittableRandom(1);
        Arena arena = Arena.ofShared();
        MemorySegment x = arena.allocate(4L * rows * h, 64), w = arena.allocate(4L * h * h, 64), b = arena.allocate(4L * h, 64);
        MemorySegment pre = arena.allocate(4L * rows * h, 64), post = arena.allocate(4L * rows * h, 64);
        for (long i = 0; i < (long) rows * h; i++) x.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) rnd.nextDouble(-1, 1));
        for (long i = 0; i < (long) h * h; i++) w.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) rnd.nextDouble(-0.1, 0.1));
        float[] packed = new float[Gemm.packedSize(h, h)];
        Gemm.packWhole(w, false, h, h, packed);
        int inner = Math.max(1, (int) (2e7 / ((double) rows * h * h)));
        long[] best = {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE};
        long[] sum = new long[4];
        int blocks = 0;
        long end = System.nanoTime() + (long) (seconds * 1e9);
        String[] names = {"unfused, post = pre (sampling)", "fused,   post = pre (sampling)", "unfused, keep pre (training)", "fused,   keep pre (training)"};
        for (int round = 0; System.nanoTime() < end || round < 4; round++) {
            for (int v = 0; v < 4; v++) {
                MemorySegment out = v < 2 ? pre : post;
                long t0 = System.nanoTime();
                for (int it = 0; it < inner; it++) {
                    if ((v & 1) == 0) {
                        Gemm.nnPacked(x, packed, pre, h, h, 0, rows);
                        Elementwise.biasSilu(pre, b, out, 0, rows, h);
                    } else Gemm.nnPackedBiasSilu(x, packed, b, pre, out, h, h, 0, rows);
                }
                long dt = (System.nanoTime() - t0) / inner;
                if (round >= 3) { best[v] = Math.min(best[v], dt); sum[v] += dt; }
            }
            if (round >= 3) blocks++;
        }
        for (int v = 0; v < 4; v++)
            System.out.printf("%s rows %d H %d: best %.1f us, mean %.1f us%n", names[v], rows, h, best[v] / 1e3, sum[v] / 1e3 / blocks);
        System.out.printf("fused/unfused time, best: sampling %.3f, training %.3f; mean: %.3f, %.3f (%d blocks)%n",
                (double) best[1] / best[0], (double) best[3] / best[2], (double) sum[1] / sum[0], (double) sum[3] / sum[2], blocks);
    }
}
