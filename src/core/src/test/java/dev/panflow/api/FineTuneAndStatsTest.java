package dev.panflow.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API the CLI's nll, reflow and experiments use: likelihood stats, trajectories, pairs and fine-tuning. */
class FineTuneAndStatsTest {
    @TempDir
    Path dir;

    private Path trained() {
        try (Trainer t = Trainer.builder().data(DataSets.builtIn("moons")).mlp(16, 1).batch(64).steps(20).warmup(2)
                .threads(1).out(dir.resolve("teacher")).build()) {
            return t.run(ProgressListener.NONE).checkpoint();
        }
    }

    @Test
    void statsAgreeWithThePlainCallsAndTheFineTunedStartIsTheTeacher() {
        Path ckpt = trained();
        LoadOptions opts = LoadOptions.defaults().threads(1).maxConcurrentCalls(1);
        try (Flow flow = Flow.load(ckpt, opts); Arena arena = Arena.ofConfined()) {
            float[][] x = flow.sample(SampleRequest.of(50).seed(3));
            MemorySegment seg = arena.allocate(4L * 50 * 2);
            for (int r = 0; r < 50; r++) MemorySegment.copy(x[r], 0, seg, ValueLayout.JAVA_FLOAT, 8L * r, 2);
            LikelihoodRequest req = LikelihoodRequest.defaults().batch(20).tolerances(1e-3, 1e-3);
            List<Integer> done = new ArrayList<>();
            Likelihoods ll = flow.logLikelihoodWithStats(seg, 50, req, (d, total, nfe) -> done.add(d));
            assertArrayEquals(flow.logLikelihood(seg, 50, req), ll.logp());
            assertEquals(List.of(20, 40, 50), done);
            assertEquals(3, ll.solves());
            assertTrue(ll.nfe() > 0);

            SampleRequest rk4 = SampleRequest.of(40).solver("rk4").steps(5).seed(9);
            List<float[]> at = flow.trajectory(rk4, 0, 1);
            assertArrayEquals(flow.sampleWithStats(rk4).values(), at.get(1)); // one stretch: the sampler's solve

            MemorySegment x0 = arena.allocate(4L * 50 * 2);
            try (Trainer t = Trainer.builder().startFrom(ckpt).data(DataSets.pairs(x0, seg, 50, 2, "moons")).steps(5).threads(1).build()) {
                assertEquals(2, t.dim());
                assertArrayEquals(flow.sampleWithStats(rk4).values(), t.sampleWithStats(rk4).values()); // the teacher's EMA weights
            }
        }
    }
}
