package dev.panflow.kernels;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class PoolTest {
    @Test
    void everyIndexExactlyOnce() {
        for (int threads : new int[] {1, 2, 3, 4}) {
            try (Pool pool = new Pool(threads)) {
                assertEquals(threads, pool.threads());
                for (int n : new int[] {0, 1, 2, 3, 5, 17, 100, 1001})
                    for (int grain : new int[] {1, 4, 50}) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                        AtomicInteger calls = new AtomicInteger();
                        int g = grain;
                        pool.parallelFor(n, grain, (from, to) -> {
                            calls.incrementAndGet();
                            assertTrue(from < to, "empty chunk");
                            if (calls.get() > 1 || n >= g) assertTrue(to - from >= Math.min(g, n), "chunk below grain");
                            for (int i = from; i < to; i++) hits.incrementAndGet(i);
                        });
                        for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " n=" + n + " threads=" + threads);
                        assertTrue(calls.get() <= threads, "more chunks than threads");
                        if (n == 0) assertEquals(0, calls.get());
                    }
            }
        }
    }

    @Test
    void usesWorkersAndSmallJobsRunInline() {
        try (Pool pool = new Pool(2)) {
            Thread me = Thread.currentThread();
            AtomicInteger onWorker = new AtomicInteger();
            AtomicInteger started = new AtomicInteger();
            pool.parallelFor(10, 1, (from, to) -> {
                // Chunk 0 (the caller) holds on until chunk 1 has started, so that the caller
                // cannot claim chunk 1 itself: a worker must run it (deadline: no hang).
                if (from > 0) started.incrementAndGet();
                else for (long end = System.nanoTime() + 10_000_000_000L; started.get() == 0 && System.nanoTime() < end; )
                    Thread.onSpinWait();
                if (Thread.currentThread() != me) {
                    assertTrue(Thread.currentThread().getName().startsWith("panflow-kernel-"));
                    assertTrue(Thread.currentThread().isDaemon());
                    onWorker.incrementAndGet();
                }
            });
            assertEquals(1, onWorker.get());
            pool.parallelFor(10, 100, (from, to) -> {
                assertSame(me, Thread.currentThread());
                assertEquals(0, from);
                assertEquals(10, to);
            });
        }
    }

    @Test
    void propagatesExceptionsAndStaysUsable() {
        try (Pool pool = new Pool(3)) {
            for (int bad = 0; bad < 3; bad++) {
                int badChunk = bad;
                IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                        pool.parallelFor(30, 1, (from, to) -> {
                            if (from / 10 == badChunk) throw new IllegalStateException("chunk " + from);
                        }));
                assertEquals("chunk " + 10 * bad, e.getMessage());
            }
            AtomicInteger sum = new AtomicInteger();
            pool.parallelFor(30, 1, (from, to) -> sum.addAndGet(to - from));
            assertEquals(30, sum.get());
        }
    }

    @Test
    void nestedCallsRunInline() {
        try (Pool pool = new Pool(2)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(100);
            pool.parallelFor(10, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int base = i * 10;
                    pool.parallelFor(10, 1, (f, t) -> {
                        for (int j = f; j < t; j++) hits.incrementAndGet(base + j);
                    });
                }
            });
            for (int i = 0; i < 100; i++) assertEquals(1, hits.get(i));
        }
    }

    @Test
    void manyCallsBackToBack() {
        try (Pool pool = new Pool(2)) {
            long[] total = new long[2];
            for (int rep = 0; rep < 20_000; rep++) {
                pool.parallelFor(2, 1, (from, to) -> total[from] += to - from);
            }
            assertEquals(20_000, total[0]);
            assertEquals(20_000, total[1]);
        }
    }

    @Test
    void chunksNoWorkerStartedRunOnTheCallerExactlyOnce() {
        // A caller done at once claims the chunks of workers not yet running; a slow caller
        // leaves them to the workers. Either way every index runs once and errors come back.
        try (Pool pool = new Pool(3)) {
            for (int rep = 0; rep < 5_000; rep++) {
                AtomicIntegerArray hits = new AtomicIntegerArray(30);
                boolean slowCaller = rep % 2 == 0;
                pool.parallelFor(30, 1, (from, to) -> {
                    if (from == 0 && slowCaller) for (int i = 0; i < 2_000; i++) Thread.onSpinWait();
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < 30; i++) assertEquals(1, hits.get(i), "index " + i + " rep " + rep);
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                    pool.parallelFor(30, 1, (from, to) -> { if (from == 20) throw new IllegalStateException("last"); }));
            assertEquals("last", e.getMessage());
        }
    }

    @Test
    void rejectsZeroThreads() {
        assertThrows(IllegalArgumentException.class, () -> new Pool(0));
    }
}
