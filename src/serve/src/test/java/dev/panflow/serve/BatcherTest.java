package dev.panflow.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.api.Flow;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.Samples;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The queue's bound, dropping cancelled requests and draining, with a stand-in for the model. */
class BatcherTest {
    static ServeConfig cfg(int maxQueue) {
        return new ServeConfig(Path.of("unused"), "127.0.0.1", 0, 1, 4096, maxQueue, 0, 1000, 1 << 20, "jvm", 1);
    }

    /** A stand-in model: each batch waits for the gate, counts itself in {@code calls}, then throws {@link Answer}. */
    static Batcher.Models answering(CountDownLatch gate, List<Integer> calls) {
        return new Batcher.Models() {
            @Override
            public <T> T with(Function<Flow, T> f) {
                try {
                    gate.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                calls.add(1);
                throw new Answer();
            }
        };
    }

    /** Thrown by the stand-in model; the batcher passes it to the futures of the batch. */
    static final class Answer extends RuntimeException {}

    @Test
    void aFullQueueIsA429AndDrainFinishesWhatWasAccepted() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        ServeMetrics metrics = new ServeMetrics();
        Batcher b = new Batcher(answering(gate, java.util.Collections.synchronizedList(new ArrayList<>())), cfg(2), metrics);
        List<CompletableFuture<Samples>> accepted = new ArrayList<>();
        accepted.add(b.submit(SampleRequest.of(1)));
        while (b.queued() > 0) Thread.sleep(1); // the worker took the first and waits at the gate
        accepted.add(b.submit(SampleRequest.of(1).solver("dopri5")));
        accepted.add(b.submit(SampleRequest.of(1).solver("dopri5")));
        HttpError full = assertThrows(HttpError.class, () -> b.submit(SampleRequest.of(1)));
        assertEquals(429, full.status);
        assertEquals(2, b.queued());
        gate.countDown();
        b.drain(10_000);
        for (var f : accepted) {
            assertTrue(f.isDone(), "drain returned before an accepted request was answered");
            var e = assertThrows(java.util.concurrent.ExecutionException.class, f::get);
            assertTrue(e.getCause() instanceof Answer, "each accepted request reached the model");
        }
        assertEquals(503, assertThrows(HttpError.class, () -> b.submit(SampleRequest.of(1))).status);
    }

    static ServeConfig waiting(int maxWaitMs) {
        return new ServeConfig(Path.of("unused"), "127.0.0.1", 0, 1, 4096, 8, maxWaitMs, 1000, 1 << 20, "jvm", 1);
    }

    @Test
    void aLoneRequestIsNotHeldForMaxWait() throws Exception {
        Batcher b = new Batcher(answering(new CountDownLatch(0), new ArrayList<>()), waiting(60_000), new ServeMetrics());
        var f = b.submit(SampleRequest.of(1));
        // nothing else is on its way, so the batch must not wait the 60 s for company
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof Answer);
        b.drain(10_000);
    }

    @Test
    void aBatchWaitsForTheRequestsOnTheirWayIn() throws Exception {
        ServeMetrics metrics = new ServeMetrics();
        Batcher b = new Batcher(answering(new CountDownLatch(0), java.util.Collections.synchronizedList(new ArrayList<>())), waiting(60_000), metrics);
        b.arrivalStarted();
        b.arrivalStarted();
        var first = b.submit(SampleRequest.of(2));
        while (b.queued() > 0) Thread.sleep(1); // the worker took it and waits: one more is announced
        var second = b.submit(SampleRequest.of(3));
        b.arrivalEnded();
        b.arrivalEnded();
        for (var f : List.of(first, second))
            assertTrue(assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS)).getCause() instanceof Answer);
        b.drain(10_000);
        String m = new String(metrics.scrape(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(1.0, FlowServerTest.metric(m, "panflow_batch_requests_count"), m);
        assertEquals(2.0, FlowServerTest.metric(m, "panflow_batch_requests_sum"), m);
    }

    @Test
    void aCancelledRequestIsDroppedBeforeItIsSolved() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        List<Integer> calls = java.util.Collections.synchronizedList(new ArrayList<>());
        Batcher b = new Batcher(answering(gate, calls), cfg(8), new ServeMetrics());
        var first = b.submit(SampleRequest.of(1));
        while (b.queued() > 0) Thread.sleep(1);
        var gone = b.submit(SampleRequest.of(1).solver("dopri5"));
        gone.cancel(false); // its client disconnected
        gate.countDown();
        b.drain(10_000);
        assertTrue(first.isDone());
        assertEquals(1, calls.size(), "the cancelled request was solved anyway");
    }
}
