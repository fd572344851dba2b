package dev.panflow.cli;

import dev.panflow.coupling.Sinkhorn;
import dev.panflow.dist.Collective;
import dev.panflow.dist.CollectiveProvider;
import dev.panflow.tensor.Rng;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run under mpirun by DistributedCouplingTest: each rank solves its block of rows of a seeded
 * n×n Sinkhorn problem, sharded over MPI, and writes those rows of the plan (doubles, after the
 * first row and the row count) to OUT/plan-RANK.bin. Args: n reg out.
 */
public final class ShardedPlanProbe {
    private ShardedPlanProbe() {}

    /** Squared distances from n uniform points in [0, 3)² to n Gaussian points, seeded. */
    static float[] cost(int n) {
        Rng rng = new Rng(n);
        float[] x = new float[2 * n], y = new float[2 * n], c = new float[n * n];
        for (int i = 0; i < 2 * n; i++) {
            x[i] = (float) rng.nextGaussian();
            y[i] = (float) (3 * rng.nextDouble());
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                float a = y[2 * i] - x[2 * j], b = y[2 * i + 1] - x[2 * j + 1];
                c[i * n + j] = a * a + b * b;
            }
        return c;
    }

    public static void main(String[] args) throws IOException {
        int n = Integer.parseInt(args[0]);
        double reg = Double.parseDouble(args[1]);
        Path out = Path.of(args[2]);
        float[] c = cost(n);
        try (Collective coll = CollectiveProvider.byName("mpi").open()) {
            Sinkhorn s = new Sinkhorn(n, true, coll);
            int first = s.firstRow(n), rows = s.rowCount(n);
            System.arraycopy(c, first * n, s.cost(), 0, rows * n);
            s.solve(n, reg, 500, 1e-5);
            try (var o = new DataOutputStream(Files.newOutputStream(out.resolve("plan-" + coll.rank() + ".bin")))) {
                o.writeInt(first);
                o.writeInt(rows);
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < n; j++) o.writeDouble(s.plan(n, i, j));
            }
            System.out.println("rank " + coll.rank() + " of " + coll.size() + ": rows " + first + ".." + (first + rows)
                    + ", " + s.iterations() + " sweeps, " + s.absorptions() + " absorptions");
        }
    }
}
