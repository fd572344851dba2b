package dev.panflow.cuda;

import dev.panflow.data.ArrayDataSource;
import dev.panflow.data.DataSource;
import dev.panflow.data.Datasets;
import dev.panflow.kernels.Pool;
import dev.panflow.path.AffinePath;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import dev.panflow.train.CfmTrainer;
import dev.panflow.sampling.Sampler;
import dev.panflow.train.LrSchedule;
import dev.panflow.train.TimeSampling;
import dev.panflow.train.TrainConfig;
import java.lang.foreign.Arena;

/**
 * GPU benchmark of the MLP CFM step, the configuration of bench/cuda_mlp_torch.py:
 * concat(x, t) → H → H → H → D with SiLU, OT path, uniform t, AdamW lr 1e-3, EMA.
 * Usage: java ... -cp bench/target/benchmarks.jar dev.panflow.cuda.CudaBench DIM HIDDEN BATCH [STEPS] [SAMPLE_POINTS]
 * (dim 2 trains on the checkerboard; larger dims on 60000 synthetic rows).
 * Prints steps/s (median of 5 timed rounds after a warm-up) and Euler-100 sampling points/s.
 */
public final class CudaBench {
    public static void main(String[] args) {
        int dim = Integer.parseInt(args[0]), hidden = Integer.parseInt(args[1]), batch = Integer.parseInt(args[2]);
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        int points = args.length > 4 ? Integer.parseInt(args[4]) : 100_000;
        TrainConfig cfg = new TrainConfig(dim == 2 ? "checkerboard" : "synthetic", "ot", hidden, 3, "concat", 0, batch,
                1_000_000, 1e-3f, LrSchedule.CONSTANT, 0, 0f, 0.999f, 0f, 0, 0, TimeSampling.UNIFORM, 0f);
        AffinePath path = Paths.byName("ot");
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(1); Gpu gpu = Gpu.open(null)) {
            DataSource ds;
            if (dim == 2) ds = Datasets.open("checkerboard", arena);
            else {
                Tensor rows = Tensor.allocate(arena, 60000, dim);
                new Rng(1).fillUniform(rows.segment(), rows.size(), -1f, 1f);
                ds = new ArrayDataSource(rows, "synthetic");
            }
            try (CfmTrainer host = new CfmTrainer(cfg, ds, path, pool); CudaCfmTrainer tr = new CudaCfmTrainer(gpu, host, 1 << 30)) {
                for (int i = 0; i < 30; i++) tr.trainStep();
                gpu.sync();
                double[] rates = new double[5];
                for (int r = 0; r < rates.length; r++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < steps; i++) tr.trainStep();
                    gpu.sync();
                    rates[r] = steps / ((System.nanoTime() - t0) * 1e-9);
                }
                double loss = tr.readLoss();
                java.util.Arrays.sort(rates);
                System.out.printf("cuda  dim %4d hidden %5d batch %5d: %8.1f steps/s (median of 5×%d; min %.1f max %.1f), loss %.4f, %s%n",
                        dim, hidden, batch, rates[2], steps, rates[0], rates[4], loss, gpu.name());
                try (Workspace ws = new Workspace()) {
                    CudaSampler.sample(tr.mlp, path, "euler", 5, Math.min(points, 4096), 1, ws); // warm-up
                    Sampler.Result s = CudaSampler.sample(tr.mlp, path, "euler", 100, points, 1, ws);
                    System.out.printf("cuda  dim %4d hidden %5d: sampling %,d points, Euler 100 NFE: %.3f s, %,.0f points/s%n",
                            dim, hidden, points, s.seconds(), points / s.seconds());
                }
            }
        }
    }

    private CudaBench() {}

}
