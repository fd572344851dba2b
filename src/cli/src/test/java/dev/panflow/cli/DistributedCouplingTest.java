package dev.panflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.coupling.Sinkhorn;
import java.io.DataInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Sinkhorn plan sharded over MPI ranks (each rank its block of rows, the column sums
 * all-reduced per sweep) equals the one-process plan to float tolerance, with uneven blocks and
 * with absorptions; and data-parallel training with a sharded plan over a coupling batch
 * reaches the one-process weights. Needs Open MPI, as DistributedTrainingTest.
 */
@Tag("slow")
@Tag("mpi")
class DistributedCouplingTest {
    static List<String> mpirunProbe(int ranks, String... args) {
        List<String> cmd = new ArrayList<>(List.of("mpirun", "--oversubscribe", "-np", Integer.toString(ranks)));
        if ("root".equals(System.getProperty("user.name"))) cmd.add("--allow-run-as-root");
        cmd.addAll(ChildJvm.java());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ShardedPlanProbe.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    @Test
    void shardedSinkhornPlanEqualsTheOneProcessPlan(@TempDir Path dir) throws Exception {
        int n = 301, ranks = 3; // 100, 100 and 101 rows
        for (double reg : new double[] {0.05, 0.002}) {
            Path out = Files.createDirectories(dir.resolve("reg" + reg));
            String log = DistributedTrainingTest.run(mpirunProbe(ranks, Integer.toString(n), Double.toString(reg), out.toString()), dir.resolve("log.txt"));
            Sinkhorn one = new Sinkhorn(n);
            System.arraycopy(ShardedPlanProbe.cost(n), 0, one.cost(), 0, n * n);
            one.solve(n, reg, 500, 1e-5);
            if (reg == 0.002) assertTrue(one.absorptions() > 0 && !log.contains(" 0 absorptions"), log);
            double worst = 0;
            int covered = 0;
            for (int r = 0; r < ranks; r++)
                try (var in = new DataInputStream(Files.newInputStream(out.resolve("plan-" + r + ".bin")))) {
                    int first = in.readInt(), rows = in.readInt();
                    assertEquals(covered, first, "blocks in rank order, without gaps");
                    for (int i = 0; i < rows; i++)
                        for (int j = 0; j < n; j++) worst = Math.max(worst, Math.abs(in.readDouble() - one.plan(n, first + i, j)) * n);
                    covered += rows;
                }
            assertEquals(n, covered);
            assertTrue(worst < 1e-4, "reg " + reg + ": sharded plan differs from the one-process plan by " + worst + " (relative to 1/n)\n" + log);
        }
    }

    @Test
    void twoRanksWithAShardedPlanOverACouplingBatchReachTheOneProcessWeights(@TempDir Path dir) throws Exception {
        Path one = dir.resolve("one"), two = dir.resolve("two"), log = dir.resolve("log.txt");
        String[] train = CliTest.cat(DistributedTrainingTest.TRAIN, "--coupling", "sinkhorn", "--sinkhorn-reg", "0.02",
                "--coupling-batch", "400", "--steps", "12", "--samples", "0");
        DistributedTrainingTest.run(DistributedTrainingTest.java(CliTest.cat(train, "--out", one.toString())), log);
        String out = DistributedTrainingTest.run(DistributedTrainingTest.mpirun(2, CliTest.cat(train, "--distributed", "--out", two.toString())), log);
        assertTrue(out.contains("plan over 400 pairs, recomputed every 3 steps"), out);
        double d = DistributedTrainingTest.checkpointDifference(one.resolve("model.safetensors"), two.resolve("model.safetensors"));
        assertTrue(d < 1e-3, "2-rank weights with a sharded plan differ from 1-process weights by " + d);
    }
}
