package dev.panflow.train;

import dev.panflow.data.Checkerboard;
import dev.panflow.kernels.Pool;
import dev.panflow.coupling.Coupling;
import dev.panflow.path.Paths;

/**
 * Training-step time with independent, exact minibatch-OT and Sinkhorn coupling, side by side (not a test, no
 * timing assertions; medians of wall time, 2 threads). Run after {@code bash bench/build.sh}:
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.panflow.train.CouplingStepBench
 */
public final class CouplingStepBench {
    public static void main(String[] args) {
        int[][] shapes = {{128, 256}, {256, 256}, {256, 512}, {256, 1024}};
        try (Pool pool = new Pool(2)) {
            for (int[] s : shapes) {
                double[] ms = new double[3];
                for (int k = 0; k < 3; k++) {
                    TrainConfig cfg = new TrainConfig("checkerboard", "ot", s[0], 3, "sinusoidal", 16, s[1], 100_000, 1e-3f, LrSchedule.CONSTANT,
                            0, 0f, 0.999f, 0f, 0, 0, TimeSampling.LOGIT_NORMAL, 1f);
                    try (CfmTrainer tr = new CfmTrainer(cfg, new Checkerboard(), Paths.byName("ot"), pool)) {
                        tr.setCoupling(Coupling.byName(new String[] {"independent", "ot", "sinkhorn"}[k], s[1], 2));
                        for (int i = 0; i < 100; i++) tr.trainStep();
                        double[] t = new double[40];
                        for (int i = 0; i < t.length; i++) {
                            long t0 = System.nanoTime();
                            tr.trainStep();
                            t[i] = (System.nanoTime() - t0) * 1e-6;
                        }
                        java.util.Arrays.sort(t);
                        ms[k] = t[t.length / 2];
                    }
                }
                System.out.printf("hidden %d, batch %4d: step %.2f ms independent, %.2f ms with OT coupling, %.2f ms with sinkhorn (median of 40)%n",
                        s[0], s[1], ms[0], ms[1], ms[2]);
            }
        }
    }
}
