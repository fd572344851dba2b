package dev.panflow.train;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.panflow.UserError;
import dev.panflow.io.FuzzStats;
import dev.panflow.io.Safetensors;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.Mlp;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterAll;

/**
 * Any bytes as a model file, through what 'panflow sample' does with it: read the checkpoint,
 * build the MLP its metadata describes, load the weights. A UserError or a loaded model.
 */
class CheckpointFuzzTest {
    static final FuzzStats STATS = new FuzzStats("checkpoint");
    private static Pool pool;

    @FuzzTest(maxDuration = "10s")
    void checkpoint(byte[] input) {
        target(input, STATS);
    }

    static void target(byte[] input, FuzzStats stats) {
        synchronized (CheckpointFuzzTest.class) {
            if (pool == null) pool = new Pool(1);
        }
        try (Arena a = Arena.ofConfined(); Workspace ws = new Workspace()) {
            var f = Safetensors.read("fuzz.safetensors", input, a);
            Checkpoint.Model m = Checkpoint.readModel(f, "fuzz.safetensors", true);
            Mlp mlp = new Mlp(m.config().mlp(m.dim()), pool, ws);
            Checkpoint.loadWeights(mlp.params(), m.weights(), "fuzz.safetensors");
            stats.count(true);
        } catch (UserError expected) {
            stats.count(false);
        }
    }

    @AfterAll
    static void report() { STATS.report(); }
}
