package dev.panflow.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sampling listener hears every solver's progress in order, and changes no sample. */
class SampleListenerTest {
    @TempDir
    static Path dir;
    static Flow flow;

    @BeforeAll
    static void load() {
        flow = Flow.load(FlowTest.train(dir.resolve("cb")), LoadOptions.defaults().threads(2));
    }

    @AfterAll
    static void close() { flow.close(); }

    record Heard(long done, long total, long nfe) {}

    /** Samples with and without a listener: the same numbers; what the listener heard, in order. */
    static List<Heard> check(SampleRequest req) {
        Samples plain = flow.sampleWithStats(req);
        List<Heard> heard = new ArrayList<>();
        Samples listened = flow.sampleWithStats(req, (done, total, nfe) -> {
            synchronized (heard) { heard.add(new Heard(done, total, nfe)); }
        });
        assertArrayEquals(plain.rows(), listened.rows(), req.solver() + ": a listener changed the samples");
        assertTrue(heard.size() >= 2, req.solver() + " heard " + heard);
        for (int i = 1; i < heard.size(); i++) {
            assertTrue(heard.get(i).done() >= heard.get(i - 1).done(), "done went back: " + heard);
            assertTrue(heard.get(i).nfe() >= heard.get(i - 1).nfe(), "nfe went back: " + heard);
        }
        Heard last = heard.getLast();
        assertEquals(req.n(), last.done(), req.solver() + ": the last call is the end");
        assertEquals(req.n(), last.total());
        assertEquals(plain.nfe(), last.nfe(), req.solver() + ": nfe at the end");
        return heard;
    }

    @Test
    void fixedStepSolversReportEveryStep() {
        List<Heard> h = check(SampleRequest.of(12).solver("rk4").steps(8).seed(1)); // too few rows to cut: one solve
        assertEquals(8, h.size());
        assertEquals(new Heard(6, 12, 16), h.get(3)); // 4 of 8 steps, 4 evaluations each
        assertEquals(2 * 8, check(SampleRequest.of(500).solver("rk4").steps(8).seed(1)).size(), "2 chunks (one per thread) × 8 steps");
    }

    @Test
    void aChunkedSolveReportsEachChunkStep() {
        // more rows than one chunk on two threads: chunks are integrated whole, one step at a time
        int n = 3 * dev.panflow.sampling.Sampler.chunkRows(32) + 17;
        List<Heard> h = check(SampleRequest.of(n).solver("euler").steps(5).seed(2));
        assertEquals(4 * 5, h.size(), "4 chunks × 5 steps");
    }

    @Test
    void adaptiveSolversReportTheirTime() {
        check(SampleRequest.of(400).solver("dopri5").tolerances(1e-4, 1e-4).seed(3));
        check(SampleRequest.of(400).solver("dopri5-point").tolerances(1e-4, 1e-4).seed(3));
    }
}
