package dev.panflow.bench.blas;

import dev.panflow.kernels.Gemm;
import dev.panflow.kernels.Pool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Where splitting a GEMM's rows over two threads starts to pay: for C[m×n] = A[m×k]·B[k×n] with
 * m from 4 up, times the call on one thread and forced onto two threads (rows halved at a row
 * tile, each thread packing its own B as {@code MatMul} does, or sharing a B packed once as the
 * MLP's row-split passes do), samples interleaved, wall clock. Prints the 2-thread / 1-thread
 * time ratio per multiply-add count; the crossover is where it drops below 1.
 * <pre>bench/split_crossover [--sizes 128,512] [--rounds 5] [--sample-ms 20]</pre>
 */
public final class SplitCrossover {
    private SplitCrossover() {}

    public static void main(String[] args) throws Exception {
        int[] sizes = {128, 256, 512};
        int rounds = 5;
        double sampleSec = 0.02;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--sizes" -> sizes = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--sample-ms" -> sampleSec = Double.parseDouble(args[i + 1]) * 1e-3;
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--sizes, --rounds, --sample-ms)");
            }
        }
        int[] rows = {4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256};
        System.out.printf("%-14s %-7s %12s %10s %10s %8s%n", "MxNxK", "B", "mul-adds", "1 thr µs", "2 thr µs", "2/1");
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2)) {
            for (int nk : sizes) {
                int maxM = rows[rows.length - 1];
                MemorySegment a = GemmVsBlas.random(arena, (long) maxM * nk, 1), b = GemmVsBlas.random(arena, (long) nk * nk, 2);
                MemorySegment c = arena.allocate(4L * maxM * nk, 64);
                float[] packed = new float[Gemm.packedSize(nk, nk)];
                Gemm.packWhole(b, false, nk, nk, packed);
                for (boolean shared : new boolean[] {false, true}) {
                    for (int m : rows) {
                        final int mm = m;
                        int half = (m / 2 + 3) / 4 * 4;
                        Runnable one = shared ? () -> Gemm.nnPacked(a, packed, c, nk, nk, 0, mm)
                                : () -> Gemm.nn(a, b, c, mm, nk, nk, false, 0, mm);
                        Pool.RangeBody body = shared
                                ? (f, t) -> Gemm.nnPacked(a, packed, c, nk, nk, f == 0 ? 0 : half, f == 0 ? half : mm)
                                : (f, t) -> Gemm.nn(a, b, c, mm, nk, nk, false, f == 0 ? 0 : half, f == 0 ? half : mm);
                        Runnable two = () -> pool.parallelFor(2, 1, body);
                        int reps1 = reps(one, sampleSec), reps2 = reps(two, sampleSec);
                        double[] t1 = new double[rounds], t2 = new double[rounds];
                        for (int r = 0; r < rounds; r++) {
                            t1[r] = time(one, reps1) / reps1;
                            t2[r] = time(two, reps2) / reps2;
                        }
                        double m1 = median(t1), m2 = median(t2);
                        System.out.printf("%-14s %-7s %12d %10.1f %10.1f %8.2f%n", m + "x" + nk + "x" + nk,
                                shared ? "shared" : "own", (long) m * nk * nk, m1 * 1e6, m2 * 1e6, m2 / m1);
                    }
                }
            }
        }
    }

    private static int reps(Runnable f, double sampleSec) {
        long t0 = System.nanoTime();
        int calls = 0;
        while (System.nanoTime() - t0 < 2e8 || calls < 3) { f.run(); calls++; }   // warm-up
        double per = time(f, Math.max(1, calls / 10)) / Math.max(1, calls / 10);
        return (int) Math.max(1, Math.ceil(sampleSec / per));
    }

    private static double time(Runnable f, int reps) {
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) f.run();
        return (System.nanoTime() - t0) * 1e-9;
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }
}
