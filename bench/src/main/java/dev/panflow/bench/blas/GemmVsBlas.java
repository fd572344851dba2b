package dev.panflow.bench.blas;

import dev.panflow.bench.kernels.Clock;
import dev.panflow.bench.kernels.FmaPeak;
import dev.panflow.bench.kernels.GemmShape;
import dev.panflow.bench.kernels.Stats;
import dev.panflow.kernels.MatMul;
import dev.panflow.kernels.Pool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Panflow's GEMM against OpenBLAS {@code cblas_sgemm}, side by side in one JVM. Per shape,
 * layout and thread count: GFLOP/s of each (median over interleaved samples, A B A B …, since
 * the machine is noisy and shared), the fraction of the FMA peak measured at start, the ratio
 * Panflow/OpenBLAS, and the 2-thread/1-thread scaling. Run it with {@code bench/gemm}.
 */
public final class GemmVsBlas {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private GemmVsBlas() {}

    public static void main(String[] args) throws Exception {
        List<String> shapes = List.of(GemmShape.DEFAULTS), layouts = List.of("nn", "tn", "nt");
        int[] threads = {1, 2};
        int rounds = 7;
        double sampleSec = 0.05;
        String lib = null;
        Clock clock = Clock.WALL;
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--shapes" -> { shapes = List.of(v.split(",")); i++; }
                case "--layouts" -> { layouts = List.of(v.split(",")); i++; }
                case "--threads" -> { threads = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray(); i++; }
                case "--rounds" -> { rounds = Integer.parseInt(v); i++; }
                case "--sample-ms" -> { sampleSec = Integer.parseInt(v) * 1e-3; i++; }
                case "--lib" -> { lib = v; i++; }
                case "--clock" -> { clock = Clock.parse(v); i++; }
                case "-h", "--help" -> { usage(); return; }
                default -> { System.err.println("gemm: unknown option " + args[i]); usage(); System.exit(2); }
            }
        }
        OpenBlas blas = new OpenBlas(lib);
        double peak = FmaPeak.measure(15, clock);
        System.out.printf("vector width %d bits; measured FMA peak %.1f GFLOP/s per thread; OpenBLAS core %s%n",
                FmaPeak.vectorBits(), peak, blas.coreName());
        System.out.printf("median of %d interleaved samples (Panflow, OpenBLAS, Panflow, ...) of >= %.0f ms each; %s%n%n",
                rounds, sampleSec * 1e3, clock == Clock.CPU
                        ? "1 thread timed by its CPU time (peak too), 2 threads by wall time" : "wall time");
        System.out.printf("%-6s %-15s %3s %9s %9s %7s %7s %7s %9s %9s%n", "layout", "MxNxK", "thr",
                "panflow", "openblas", "pf/peak", "ob/peak", "pf/ob", "pf 2t/1t", "ob 2t/1t");
        System.out.printf("%-6s %-15s %3s %9s %9s %7s %7s %7s %9s %9s%n", "", "", "", "GFLOP/s", "GFLOP/s", "", "", "", "", "");
        for (String shape : shapes)
            for (String layout : layouts) {
                double pf1 = Double.NaN, ob1 = Double.NaN;
                for (int t : threads) {
                    double[] r = compare(blas, layout, GemmShape.parse(shape), t, rounds, sampleSec,
                            t == 1 ? clock : Clock.WALL);
                    if (t == 1) { pf1 = r[0]; ob1 = r[1]; }
                    System.out.printf("%-6s %-15s %3d %9.1f %9.1f %6.0f%% %6.0f%% %7.2f %9s %9s%n", layout, shape, t,
                            r[0], r[1], 100 * r[0] / (t * peak), 100 * r[1] / (t * peak), r[0] / r[1],
                            t > 1 ? String.format("%.2f", r[0] / pf1) : "", t > 1 ? String.format("%.2f", r[1] / ob1) : "");
                }
            }
    }

    private static void usage() {
        System.out.println("""
                usage: bench/gemm [--shapes MxNxK,...] [--layouts nn,tn,nt] [--threads 1,2] [--rounds 7]
                                  [--sample-ms 50] [--lib /path/libopenblas.so.0] [--clock wall|cpu]
                                  [--jvm JVM-FLAG]...
                C[M×N] = op(A)·op(B), inner dimension K; nn: A[M×K]·B[K×N], tn: Aᵀ with A stored [K×M],
                nt: Bᵀ with B stored [N×K]. Default shapes: squares 256..2048 and the MLP's dense layers.
                --clock cpu times 1-thread runs (and the FMA peak) by the thread's CPU time: use it on
                a machine shared with other work, where wall time measures the scheduler.""");
    }

    /** Median GFLOP/s {Panflow, OpenBLAS} for one case, samples interleaved. */
    private static double[] compare(OpenBlas blas, String layout, GemmShape s, int threads, int rounds, double sampleSec,
                                    Clock clock) throws InterruptedException {
        int m = s.m(), n = s.n(), k = s.k();
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(threads)) {
            MemorySegment a = random(arena, (long) m * k, 1), b = random(arena, (long) k * n, 2);
            MemorySegment cp = arena.allocate(4L * m * n, 64), cb = arena.allocate(4L * m * n, 64);
            MatMul mm = new MatMul(pool);
            Runnable pf = () -> {
                switch (layout) {
                    case "nn" -> mm.nn(a, b, cp, m, n, k, false);
                    case "tn" -> mm.tn(a, b, cp, m, n, k, false);
                    default -> mm.nt(a, b, cp, m, n, k, false);
                }
            };
            Runnable ob = () -> blas.gemm(layout, a, b, cb, m, n, k);
            blas.setThreads(threads);
            pf.run();
            ob.run();
            checkAgree(cp, cb, (long) m * n, k, layout + " " + s);
            // Warm-up (JIT, caches, thread pools), then the repetitions one sample needs.
            int repsOb = repsFor(ob, sampleSec, clock);
            settle(threads);
            int repsPf = repsFor(pf, sampleSec, clock);
            double[] gp = new double[rounds], gb = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                gp[r] = s.flops() * repsPf / time(pf, repsPf, clock) * 1e-9;
                gb[r] = s.flops() * repsOb / time(ob, repsOb, clock) * 1e-9;
                settle(threads);
            }
            return new double[] {Stats.median(gp), Stats.median(gb)};
        }
    }

    /**
     * OpenBLAS's idle worker threads busy-wait 2^28 TSC cycles after a call (its default
     * THREAD_TIMEOUT: 134 ms at a 2 GHz TSC) before they sleep; a Panflow sample started inside
     * that window shares its second core with them. Wait it out.
     */
    private static void settle(int threads) throws InterruptedException {
        if (threads > 1) Thread.sleep(300);
    }

    private static int repsFor(Runnable f, double sampleSec, Clock clock) {
        long t0 = clock.now();
        int calls = 0;
        while (clock.now() - t0 < 3e8 || calls < 3) { f.run(); calls++; }   // 0.3 s warm-up
        double per = time(f, Math.max(1, calls / 10), clock) / Math.max(1, calls / 10);
        return (int) Math.max(1, Math.ceil(sampleSec / per));
    }

    private static double time(Runnable f, int reps, Clock clock) {
        long t0 = clock.now();
        for (int i = 0; i < reps; i++) f.run();
        return (clock.now() - t0) * 1e-9;
    }

    private static void checkAgree(MemorySegment x, MemorySegment y, long len, int k, String what) {
        double worst = 0;
        for (long i = 0; i < len; i++)
            worst = Math.max(worst, Math.abs(x.getAtIndex(F, i) - y.getAtIndex(F, i)));
        // Entries are sums of k products of U(-1, 1) values: rounding differences stay ~1e-6·k.
        if (!(worst <= 1e-5 * k + 1e-5))
            System.out.printf("WARNING: %s: Panflow and OpenBLAS differ by up to %.3g%n", what, worst);
    }

    static MemorySegment random(Arena arena, long floats, long seed) {
        MemorySegment seg = arena.allocate(4 * floats, 64);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < floats; i++) seg.setAtIndex(F, i, (float) (r.nextDouble() * 2 - 1));
        return seg;
    }
}
