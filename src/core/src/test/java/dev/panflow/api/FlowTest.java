package dev.panflow.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flow as a user sees it: a checkpoint written by Trainer, loaded, sampled and scored. */
class FlowTest {
    @TempDir
    static Path dir;
    static Path model;
    static Flow flow;

    /** A tiny checkerboard model: 100 steps of an MLP 32×2, one thread. */
    static Path train(Path out) {
        try (Trainer t = Trainer.builder().data(DataSets.builtIn("checkerboard")).mlp(32, 2).steps(100).batch(256)
                .threads(1).seed(3).out(out).build()) {
            return t.run(ProgressListener.NONE).checkpoint();
        }
    }

    @BeforeAll
    static void load() {
        model = train(dir.resolve("cb"));
        flow = Flow.load(model, LoadOptions.defaults().threads(1).maxConcurrentCalls(4)); // 8 callers share 4 replicas
    }

    @AfterAll
    static void close() {
        flow.close();
    }

    static SampleRequest request(long seed) {
        return SampleRequest.of(300).solver("midpoint").steps(10).seed(seed);
    }

    @Test
    void info() {
        ModelInfo i = flow.info();
        assertEquals("mlp", i.kind());
        assertEquals(2, i.dim());
        assertNull(i.imageShape());
        assertFalse(i.isImageModel());
        assertEquals(0, i.classes());
        assertEquals(100, i.step());
        assertEquals("ot", i.path());
        assertEquals("checkerboard", i.data());
        assertTrue(i.ema());
        assertEquals(model, i.file());
        try (Flow raw = Flow.load(model, LoadOptions.defaults().threads(1).ema(false))) {
            assertFalse(raw.info().ema());
            assertFalse(Arrays.deepEquals(flow.sample(request(1)), raw.sample(request(1))), "EMA and raw weights gave the same samples");
        }
    }

    @Test
    void sameRequestSameSamples() {
        float[][] a = flow.sample(request(7));
        assertEquals(300, a.length);
        assertEquals(2, a[0].length);
        assertArrayEquals(a, flow.sample(request(7)));
        assertFalse(Arrays.deepEquals(a, flow.sample(request(8))), "another seed gave the same samples");
        for (float[] row : a) for (float v : row) assertTrue(Float.isFinite(v));
        Samples s = flow.sampleWithStats(request(7));
        assertEquals("midpoint", s.solver());
        assertEquals(20, s.nfe()); // two evaluations per midpoint step
        assertArrayEquals(a, s.rows());
    }

    /** 1 thread against 2, the batch sizes around the two-thread chunk cuts (15: one thread's row split; 16+: chunks). */
    @Test
    void kernelThreadsDoNotChangeSamples() {
        try (Flow wide = Flow.load(model, LoadOptions.defaults().threads(2))) {
            assertArrayEquals(flow.sample(request(5)), wide.sample(request(5)));
            for (int n : new int[] {1, 15, 16, 17, 100, 257, 700})
                assertArrayEquals(flow.sample(request(6).n(n)), wide.sample(request(6).n(n)), n + " points");
        }
    }

    @Test
    void concurrentCallsGiveTheSequentialResults() throws Exception {
        long[] seeds = {1, 2, 3, 1, 4, 2, 5, 1}; // some callers share a seed
        float[][][] expected = new float[seeds.length][][];
        for (int i = 0; i < seeds.length; i++) expected[i] = flow.sample(request(seeds[i]));
        for (int round = 0; round < 3; round++) {
            List<float[][]> got = concurrently(seeds.length, i -> flow.sample(request(seeds[i])));
            for (int i = 0; i < seeds.length; i++) assertArrayEquals(expected[i], got.get(i), "round " + round + ", caller " + i);
        }
    }

    @Test
    void sampleIntoEqualsSample() {
        float[][] rows = flow.sample(request(11));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(4L * 300 * 2 + 8); // a larger segment is fine
            out.fill((byte) 0x7f);
            assertEquals(20, flow.sampleInto(request(11), out));
            for (int r = 0; r < 300; r++)
                for (int c = 0; c < 2; c++) assertEquals(rows[r][c], out.getAtIndex(ValueLayout.JAVA_FLOAT, 2L * r + c));
            assertEquals("out", assertThrows(InvalidParameterException.class,
                    () -> flow.sampleInto(request(11), a.allocate(4L * 300 * 2 - 4))).parameter());
            assertEquals("rows", assertThrows(InvalidParameterException.class,
                    () -> flow.logLikelihood(out, 0, LikelihoodRequest.defaults())).parameter());
            assertEquals("points", assertThrows(InvalidParameterException.class,
                    () -> flow.logLikelihood(out, 302, LikelihoodRequest.defaults())).parameter());
            out.setAtIndex(ValueLayout.JAVA_FLOAT, 5, Float.NaN);
            assertEquals("points", assertThrows(InvalidParameterException.class,
                    () -> flow.logLikelihood(out, 300, LikelihoodRequest.defaults())).parameter());
        }
    }

    @Test
    void logLikelihoodIsFiniteDeterministicAndThreadSafe() throws Exception {
        float[][] x = flow.sample(request(21).n(64));
        LikelihoodRequest req = LikelihoodRequest.defaults().solver("rk4", 20);
        double[] lp = flow.logLikelihood(x, req);
        assertEquals(64, lp.length);
        for (double v : lp) assertTrue(Double.isFinite(v), Arrays.toString(lp));
        assertArrayEquals(lp, flow.logLikelihood(x, req));
        for (double[] got : concurrently(4, i -> flow.logLikelihood(x, req))) assertArrayEquals(lp, got);
        // batched the same as one solve: a fixed-step solver treats each row alone
        assertArrayEquals(lp, flow.logLikelihood(x, req.batch(10)), 1e-9);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(4L * 64 * 2);
            for (int r = 0; r < 64; r++) MemorySegment.copy(x[r], 0, seg, ValueLayout.JAVA_FLOAT, 8L * r, 2);
            assertArrayEquals(lp, flow.logLikelihood(seg, 64, req));
        }
    }

    @Test
    void hutchinsonAgreesWithExactOnAverage() {
        float[][] x = flow.sample(request(31).n(200));
        LikelihoodRequest exact = LikelihoodRequest.defaults().solver("rk4", 20).divergence(LikelihoodRequest.DivergenceMethod.EXACT);
        double[] e = flow.logLikelihood(x, exact);
        double[] h = flow.logLikelihood(x, exact.hutchinson(4, false).seed(9));
        double me = Arrays.stream(e).average().orElseThrow(), mh = Arrays.stream(h).average().orElseThrow();
        assertTrue(Math.abs(me - mh) < 0.05, "exact mean " + me + ", Hutchinson mean " + mh);
        assertFalse(Arrays.equals(e, h), "Hutchinson gave the exact values");
        // the default (AUTO) is exact in 2-D
        assertArrayEquals(e, flow.logLikelihood(x, LikelihoodRequest.defaults().solver("rk4", 20)));
    }

    @Test
    void badInputsNameTheirParameter() {
        assertEquals("n", assertThrows(InvalidParameterException.class, () -> SampleRequest.of(0)).parameter());
        assertEquals("steps", assertThrows(InvalidParameterException.class, () -> request(1).steps(0)).parameter());
        assertEquals("guidance", assertThrows(InvalidParameterException.class, () -> request(1).guidance(-1)).parameter());
        assertEquals("classLabel", assertThrows(InvalidParameterException.class, () -> flow.sample(request(1).classLabel(0))).parameter());
        assertThrows(UserError.class, () -> request(1).solver("leapfrog"));
        assertEquals("probes", assertThrows(InvalidParameterException.class,
                () -> LikelihoodRequest.defaults().hutchinson(0, false)).parameter());
        assertEquals("points", assertThrows(InvalidParameterException.class,
                () -> flow.logLikelihood(new float[][] {{1, 2, 3}})).parameter());
        assertEquals("points", assertThrows(InvalidParameterException.class,
                () -> flow.logLikelihood(new float[][] {{0, 0}, {Float.NaN, 0}})).parameter());
        assertEquals("points", assertThrows(InvalidParameterException.class, () -> flow.logLikelihood(new float[0][])).parameter());
        assertEquals("threads", assertThrows(InvalidParameterException.class, () -> LoadOptions.defaults().threads(0)).parameter());
    }

    @Test
    void badFilesAreUserErrors() throws Exception {
        UserError missing = assertThrows(UserError.class, () -> Flow.load(dir.resolve("nothing.safetensors")));
        assertTrue(missing.getMessage().contains("nothing.safetensors"), missing.getMessage());
        byte[] bytes = Files.readAllBytes(model);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        UserError truncated = assertThrows(UserError.class, () -> Flow.load(cut));
        assertTrue(truncated.getMessage().contains("cut.safetensors"), truncated.getMessage());
        Path junk = dir.resolve("junk.safetensors");
        Files.writeString(junk, "not a checkpoint");
        assertThrows(UserError.class, () -> Flow.load(junk));
    }

    @Test
    void closedFlowRefusesCalls() {
        Flow f = Flow.load(model, LoadOptions.defaults().threads(1));
        f.close();
        assertThrows(IllegalStateException.class, () -> f.sample(request(1)));
        assertThrows(IllegalStateException.class, () -> f.logLikelihood(new float[][] {{0, 0}}));
        f.close(); // twice is fine
    }

    interface Call<T> { T call(int i) throws Exception; }

    /** Runs call(0 … n−1) on n threads released together; the results in caller order. */
    static <T> List<T> concurrently(int n, Call<T> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                fs.add(pool.submit((Callable<T>) () -> {
                    go.await();
                    return call.call(k);
                }));
            }
            go.countDown();
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) out.add(f.get());
            return out;
        } finally {
            pool.shutdown();
        }
    }
}
