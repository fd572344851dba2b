package dev.panflow.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flow.sampleBatch: each request gets what it gets alone, for fixed-step solvers and dopri5-point alike. */
class SampleBatchTest {
    @TempDir
    static Path dir;
    static Path model;

    @org.junit.jupiter.api.BeforeAll
    static void train() { model = FlowTest.train(dir.resolve("m")); }

    static void sameAsAlone(Flow flow, List<SampleRequest> reqs) {
        List<Samples> batch = flow.sampleBatch(reqs);
        assertEquals(reqs.size(), batch.size());
        for (int i = 0; i < reqs.size(); i++) {
            Samples alone = flow.sampleWithStats(reqs.get(i)), merged = batch.get(i);
            assertArrayEquals(alone.values(), merged.values(), "request " + i + ": points differ from its own solve");
            assertEquals(alone.nfe(), merged.nfe(), "request " + i + " nfe");
            assertEquals(alone.acceptedSteps(), merged.acceptedSteps(), "request " + i + " accepted steps");
            assertEquals(alone.rejectedSteps(), merged.rejectedSteps(), "request " + i + " rejected steps");
            assertEquals(alone.nfeMeanPerPoint(), merged.nfeMeanPerPoint(), 1e-12, "request " + i + " mean nfe per point");
            assertEquals(alone.nfeMaxPerPoint(), merged.nfeMaxPerPoint(), "request " + i + " max nfe per point");
            assertEquals(alone.unfinishedPoints(), merged.unfinishedPoints(), "request " + i + " unfinished points");
        }
    }

    @Test
    @org.junit.jupiter.api.Tag("slow") // 4-9 s here: each dopri5-point request is solved merged and alone
    void mergedRequestsGetTheirOwnPointsAndStats() {
        try (Flow flow = Flow.load(model, LoadOptions.defaults().threads(1))) {
            sameAsAlone(flow, List.of(SampleRequest.of(5).solver("rk4").steps(6).seed(1), SampleRequest.of(17).solver("rk4").steps(6).seed(2),
                    SampleRequest.of(1).solver("rk4").steps(6).seed(3)));
            // dopri5-point: each point has its own steps, so requests of different seeds (and costs) merge safely
            SampleRequest pp = SampleRequest.of(9).solver("dopri5-point").tolerances(1e-4, 1e-4);
            sameAsAlone(flow, List.of(pp.seed(4), pp.n(23).seed(5), pp.n(2).seed(6)));
            // a step bound that stops some points: each request counts its own unfinished points
            SampleRequest bounded = pp.tolerances(1e-7, 1e-7).stepBounds(3, 0);
            List<Samples> b = flow.sampleBatch(List.of(bounded.seed(7), bounded.n(30).seed(8)));
            assertTrue(b.get(0).unfinishedPoints() > 0 || b.get(1).unfinishedPoints() > 0, "the bound stopped no point; the check is void");
            sameAsAlone(flow, List.of(bounded.seed(7), bounded.n(30).seed(8)));
        }
    }

    @Test
    void onlyBatchableRequestsMerge() {
        SampleRequest rk4 = SampleRequest.of(4).solver("rk4").steps(6);
        assertTrue(rk4.batchableWith(rk4.seed(9).n(7)));
        assertFalse(rk4.batchableWith(rk4.steps(7)));
        assertFalse(rk4.batchableWith(rk4.solver("euler")));
        SampleRequest pp = SampleRequest.of(4).solver("dopri5-point");
        assertTrue(pp.batchableWith(pp.seed(3)));
        assertFalse(pp.batchableWith(pp.tolerances(1e-3, 1e-5)));
        assertFalse(pp.batchableWith(pp.stepBounds(10, 0)));
        SampleRequest d5 = SampleRequest.of(4).solver("dopri5");
        assertFalse(d5.batchableWith(d5), "dopri5's step sizes depend on the batch");
        try (Flow flow = Flow.load(model, LoadOptions.defaults().threads(1))) {
            assertThrows(UserError.class, () -> flow.sampleBatch(List.of(d5, d5.seed(1))));
            assertThrows(UserError.class, () -> flow.sampleBatch(List.of(rk4, pp)));
        }
    }
}
