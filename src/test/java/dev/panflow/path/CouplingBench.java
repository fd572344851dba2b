package dev.panflow.path;

import dev.panflow.data.Checkerboard;
import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Time of one minibatch OT pairing (cost matrix + exact assignment + permutation) on
 * checkerboard data vs Gaussian noise, per batch size (not a test, no timing assertions). Run:
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.panflow.path.CouplingBench
 */
public final class CouplingBench {
    public static void main(String[] args) {
        int[] sizes = {256, 512, 1024};
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        try (Arena arena = Arena.ofShared()) {
            for (int n : sizes) {
                MinibatchOtCoupling ot = new MinibatchOtCoupling(n, 2);
                MemorySegment x0 = arena.allocate(8L * n), x1 = arena.allocate(8L * n);
                Rng rng = new Rng(1);
                Checkerboard cb = new Checkerboard();
                var bean = java.lang.management.ManagementFactory.getThreadMXBean();
                double best = Double.MAX_VALUE, sum = 0, cpu = 0;
                for (int r = 0; r < reps + 5; r++) {
                    cb.sample(rng, x1, n);
                    rng.fillGaussian(x0, 2L * n, 1f);
                    long c0 = bean.getCurrentThreadCpuTime();
                    long t = System.nanoTime();
                    ot.pair(x0, x1, n, 2);
                    double ms = (System.nanoTime() - t) * 1e-6;
                    if (r >= 5) {
                        cpu += (bean.getCurrentThreadCpuTime() - c0) * 1e-6;
                        best = Math.min(best, ms);
                        sum += ms;
                    }
                }
                System.out.printf("batch %5d: OT pairing %.2f ms CPU mean; wall %.2f ms mean, %.2f ms best (%d reps)%n",
                        n, cpu / reps, sum / reps, best, reps);
            }
        }
    }
}
