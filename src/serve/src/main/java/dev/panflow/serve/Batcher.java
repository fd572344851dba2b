package dev.panflow.serve;

import dev.panflow.api.Flow;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.Samples;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Dynamic batching of sampling requests: a bounded queue, and workers that take the oldest
 * request with the compatible ones queued (same solver settings, up to maxBatch points) and
 * solve them together with {@link Flow#sampleBatch}. A batch waits for more only while requests
 * are on their way in (announced: their handler is reading them), and only until its oldest
 * request has waited maxWait since it was queued: under load the queue fills while a batch is
 * solved and the next one starts at once; a lone request is not held back. Each request's points still come from
 * its own seed, so a result never depends on its company. dopri5-point requests are merged too
 * (each point has its own step control); dopri5 requests run alone: its step sizes depend on the
 * whole batch. A request whose client disconnected is dropped before it is solved.
 */
final class Batcher implements AutoCloseable {
    private record Job(SampleRequest req, CompletableFuture<Samples> result, ClientLink client, long queuedAt) {
        /** Nobody waits for it any more: cancelled (timed out) or its client went away. */
        boolean abandoned() { return result.isCancelled() || client.gone(); }
    }

    /** What a request dropped because its client disconnected completes with. */
    static final class ClientGone extends RuntimeException {
        ClientGone() { super("the client disconnected before its batch ran", null, false, false); }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition(), drained = lock.newCondition();
    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    /** Runs a function on the model being served (held for the time of the call, so a reload cannot close it under us). */
    interface Models {
        <T> T with(java.util.function.Function<Flow, T> f);
    }

    private final Models models;
    private final int maxBatch, maxQueue;
    private final long maxWaitNanos;
    private final ServeMetrics metrics;
    private final List<Thread> workers = new ArrayList<>();
    private int running;
    private final java.util.concurrent.atomic.AtomicInteger arriving = new java.util.concurrent.atomic.AtomicInteger();
    private boolean closed;

    Batcher(Models models, ServeConfig cfg, ServeMetrics metrics) {
        this.models = models;
        this.maxBatch = cfg.maxBatch();
        this.maxQueue = cfg.maxQueue();
        this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(cfg.maxWaitMs());
        this.metrics = metrics;
        for (int i = 0; i < cfg.workers(); i++) {
            Thread t = Thread.ofPlatform().name("panflow-batcher-" + i).daemon().start(this::work);
            workers.add(t);
        }
    }

    /** A request is on its way (its handler reads it): a batch being formed may wait for it. */
    void arrivalStarted() { arriving.incrementAndGet(); }

    /** The announced request is queued, or will not be (refused): batches stop waiting for it. */
    void arrivalEnded() {
        if (arriving.decrementAndGet() > 0) return;
        lock.lock();
        try {
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Queues a request; a full queue is a 429. Cancelling the future drops a request not yet solved. */
    CompletableFuture<Samples> submit(SampleRequest req) { return submit(req, ClientLink.UNKNOWN); }

    /** The same, for a request whose client is watched: once it is gone, the request is dropped unsolved. */
    CompletableFuture<Samples> submit(SampleRequest req, ClientLink client) {
        var job = new Job(req, new CompletableFuture<>(), client, System.nanoTime());
        lock.lock();
        try {
            if (closed) throw new HttpError(503, "the server is shutting down");
            if (queue.size() >= maxQueue) throw new HttpError(429, "the queue is full (" + maxQueue + " requests); retry later");
            queue.addLast(job);
            metrics.queueDepth.set(queue.size());
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        return job.result;
    }

    /** Requests one solver batch may hold together: {@link Flow#sampleBatch}'s rule. */
    private static boolean compatible(SampleRequest a, SampleRequest b) { return a.batchableWith(b); }

    /**
     * Takes the request out of the queue if it is still there (its client left): its slot is free
     * at once. False if a worker took it already.
     */
    boolean withdraw(CompletableFuture<Samples> result) {
        lock.lock();
        try {
            for (Iterator<Job> it = queue.iterator(); it.hasNext(); ) {
                Job j = it.next();
                if (j.result == result) {
                    it.remove();
                    drop(j);
                    metrics.queueDepth.set(queue.size());
                    if (running == 0 && queue.isEmpty()) drained.signalAll();
                    return true;
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Ends an abandoned request unsolved (the caller holds the lock). */
    private void drop(Job j) {
        if (j.client.gone()) metrics.clientGone.inc();
        j.result.completeExceptionally(new ClientGone());
    }

    private void work() {
        while (true) {
            List<Job> batch = next();
            if (batch == null) return;
            try {
                List<SampleRequest> reqs = batch.stream().map(Job::req).toList();
                metrics.batchRequests.observe(reqs.size());
                metrics.batchPoints.observe(reqs.stream().mapToLong(SampleRequest::n).sum());
                List<Samples> out = models.with(f -> reqs.size() == 1 ? List.of(f.sampleWithStats(reqs.get(0))) : f.sampleBatch(reqs));
                for (int i = 0; i < batch.size(); i++) batch.get(i).result.complete(out.get(i));
            } catch (Throwable e) {
                for (Job j : batch) j.result.completeExceptionally(e);
            } finally {
                lock.lock();
                try {
                    running--;
                    if (running == 0 && queue.isEmpty()) drained.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** The oldest live request and the compatible ones that arrive within maxWait; null once closed and empty. */
    private List<Job> next() {
        lock.lock();
        try {
            Job first;
            while (true) {
                while (queue.isEmpty()) {
                    if (running == 0) drained.signalAll(); // e.g. the last queued request was cancelled
                    if (closed) return null;
                    arrived.awaitUninterruptibly();
                }
                first = queue.pollFirst();
                if (!first.abandoned()) break;
                drop(first);
            }
            running++;
            List<Job> batch = new ArrayList<>(List.of(first));
            long points = first.req.n();
            long deadline = first.queuedAt + maxWaitNanos;
            while (first.req.solver().rowsIndependent() && points < maxBatch) {
                for (Iterator<Job> it = queue.iterator(); it.hasNext() && points < maxBatch; ) {
                    Job j = it.next();
                    if (j.abandoned()) {
                        it.remove();
                        drop(j);
                    } else if (compatible(first.req, j.req) && points + j.req.n() <= maxBatch) {
                        it.remove();
                        batch.add(j);
                        points += j.req.n();
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || closed || arriving.get() == 0) break;
                try {
                    arrived.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            metrics.queueDepth.set(queue.size());
            return batch;
        } finally {
            lock.unlock();
        }
    }

    /** Stops taking requests, lets the workers finish what is queued, and waits for them (at most {@code timeoutMs}). */
    void drain(long timeoutMs) {
        lock.lock();
        try {
            closed = true;
            arrived.signalAll();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while ((running > 0 || !queue.isEmpty()) && System.nanoTime() < deadline)
                drained.awaitNanos(Math.max(1, deadline - System.nanoTime()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() { drain(30_000); }
}
