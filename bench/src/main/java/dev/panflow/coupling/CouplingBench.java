package dev.panflow.coupling;

import dev.panflow.data.Checkerboard;
import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Time of one minibatch pairing (cost matrix + exact assignment or Sinkhorn plan + the rows
 * moved) on checkerboard data vs Gaussian noise, per batch size (not a test, no timing
 * assertions). Args: [reps] [sinkhorn reg] [tol] [max sweeps]. Run:
 * After {@code bash bench/build.sh}:
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.panflow.coupling.CouplingBench
 */
public final class CouplingBench {
    public static void main(String[] args) {
        int[] sizes = {256, 512, 1024};
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        double reg = args.length > 1 ? Double.parseDouble(args[1]) : SinkhornCoupling.DEFAULT_REG;
        double tol = args.length > 2 ? Double.parseDouble(args[2]) : SinkhornCoupling.TOL;
        int maxIter = args.length > 3 ? Integer.parseInt(args[3]) : SinkhornCoupling.MAX_ITER;
        try (Arena arena = Arena.ofShared()) {
            // A first, unprinted pass over every size compiles the kernels before anything is timed.
            for (int pass = 0; pass < 2; pass++)
            for (int n : sizes) {
                for (int kind = 0; kind < 3; kind++) {
                    Coupling c = kind == 0 ? new MinibatchOtCoupling(n, 2)
                            : new SinkhornCoupling(n, 2, reg, maxIter, tol, kind == 1);
                    String label = kind == 0 ? "exact OT" : kind == 1 ? "sinkhorn" : "sinkhorn scalar";
                    MemorySegment x0 = arena.allocate(8L * n), x1 = arena.allocate(8L * n);
                    Rng rng = new Rng(1);
                    Checkerboard cb = new Checkerboard();
                    var bean = java.lang.management.ManagementFactory.getThreadMXBean();
                    double best = Double.MAX_VALUE, sum = 0, cpu = 0, sweeps = 0, paired = 0;
                    for (int r = 0; r < reps + 5; r++) {
                        cb.sample(rng, x1, n);
                        rng.fillGaussian(x0, 2L * n, 1f);
                        long c0 = bean.getCurrentThreadCpuTime();
                        long t = System.nanoTime();
                        c.pair(x0, x1, n, 2, rng);
                        double ms = (System.nanoTime() - t) * 1e-6;
                        if (r >= 5) {
                            cpu += (bean.getCurrentThreadCpuTime() - c0) * 1e-6;
                            best = Math.min(best, ms);
                            sum += ms;
                            if (c instanceof SinkhornCoupling s) sweeps += s.solver().iterations();
                            for (int i = 0; i < 2 * n; i++) {
                                double d = x0.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i) - x1.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
                                paired += d * d;
                            }
                        }
                    }
                    if (pass == 1) System.out.printf("batch %5d %-16s %7.2f ms CPU mean; wall %7.2f ms mean, %7.2f ms best; mean pair ‖x1−x0‖² %.4f%s (%d reps)%n",
                            n, label, cpu / reps, sum / reps, best, paired / reps / n,
                            kind > 0 ? String.format(", %.1f sweeps", sweeps / reps) : "", reps);
                }
            }
        }
    }
}
