package dev.panflow.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of kernel threads for data-parallel loops. The calling thread counts as one of
 * {@link #threads()}, so {@code threads - 1} daemon workers ("panflow-kernel-N") are started.
 *
 * <p>{@link #parallelFor} allocates nothing on the heap: the job lives in fields, workers wake
 * on a volatile generation counter (short spin, then park), and the caller waits on a counter
 * of outstanding workers. One thread at a time may call {@code parallelFor} on a given pool;
 * a call made from inside a running body (by the caller or a worker) runs inline.
 *
 * <p>Hand-off cost matters for small batches (a training step makes ~15 calls): a thread that is
 * still spinning is not unparked (each waiter announces that it is about to park, and re-checks
 * its condition after announcing, so no wake-up is lost).
 *
 * <p>A worker's chunk goes to whichever thread claims it first: the caller, done with chunk 0,
 * claims and runs every chunk no worker has started. A worker the OS has not scheduled yet (a
 * machine busy with other work, a worker still parked) then costs nothing but the wake-up, and a
 * small job on two threads is never much slower than on one. Every chunk runs exactly once, so
 * results are those of any other split.
 */
public final class Pool implements AutoCloseable {
    /** A loop body over the half-open index range [from, to). */
    public interface RangeBody { void range(int from, int to); }

    /** Spin iterations before a waiting thread parks: a few microseconds. */
    private static final int SPINS = 1 << 11;

    private final int threads;
    private final Thread[] workers;

    // The current job; plain fields published by the volatile write of generation.
    private RangeBody body;
    private int jobN, jobChunks;
    private Thread caller;

    private volatile int generation;
    private volatile boolean closed;
    private volatile boolean running;
    /** Chunks claimed by workers in the current job and finished (the caller waits for its count). */
    private final AtomicInteger finished = new AtomicInteger();
    /** Chunk c (≥ 1) of job g: 2g while free, 2g + 1 once claimed; older values mean no claim. */
    private final AtomicLongArray claim;
    /** 1 while worker w (index w − 1) is parked or about to park. */
    private final AtomicIntegerArray sleeping;
    private volatile boolean callerSleeping;
    private final AtomicReference<Throwable> error = new AtomicReference<>();

    public Pool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1: " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.sleeping = new AtomicIntegerArray(Math.max(1, threads - 1));
        this.claim = new AtomicLongArray(threads);
        for (int w = 1; w < threads; w++) {
            final int index = w;
            Thread t = new Thread(() -> workerLoop(index), "panflow-kernel-" + w);
            t.setDaemon(true);
            workers[w - 1] = t;
        }
        for (Thread t : workers) t.start();
    }

    public int threads() { return threads; }

    /**
     * Runs {@code body} over [0, n) split into at most {@link #threads()} contiguous chunks of at
     * least {@code grain} indices (one chunk, on the caller, when n < 2·grain). Chunk 0 runs on the
     * caller; returns when all chunks are done and rethrows the first exception a chunk threw.
     */
    public void parallelFor(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int g = Math.max(1, grain);
        int chunks = Math.min(threads, n / g);
        // `running` also covers calls from a worker: workers only run bodies of a running job.
        if (chunks <= 1 || running || closed) {
            body.range(0, n);
            return;
        }
        running = true;
        try {
            this.body = body;
            this.jobN = n;
            this.jobChunks = chunks;
            this.caller = Thread.currentThread();
            error.set(null);
            finished.set(0);
            int gen = generation + 1;
            for (int c = 1; c < chunks; c++) claim.set(c, 2L * gen);
            generation = gen;                 // volatile write publishes the job fields
            for (int w = 0; w < workers.length; w++)
                if (sleeping.get(w) != 0) LockSupport.unpark(workers[w]);
            // Chunk 0, then every chunk no worker has claimed, through one call site: with a
            // second body.range call here a warmed-up training step allocated (boxed vectors;
            // TrainStepAllocationTest failed).
            Throwable mine = null;
            int owed = 0;                     // chunks workers claimed: wait for those only
            for (int c = 0; c < chunks; c++) {
                if (c > 0 && !claim.compareAndSet(c, 2L * gen, 2L * gen + 1)) { owed++; continue; }
                try {
                    body.range(c == 0 ? 0 : chunkEnd(n, chunks, c - 1), chunkEnd(n, chunks, c));
                } catch (Throwable t) {
                    if (c == 0) mine = t;
                    else error.compareAndSet(null, t);
                }
            }
            awaitWorkers(owed);
            this.body = null;
            this.caller = null;
            Throwable t = mine != null ? mine : error.get();
            if (t != null) {
                error.set(null);
                throwUnchecked(t);
            }
        } finally {
            running = false;
        }
    }

    private static int chunkEnd(int n, int chunks, int c) {
        return (int) ((long) n * (c + 1) / chunks);
    }

    private void awaitWorkers(int owed) {
        for (int spin = 0; finished.get() != owed; spin++) {
            if (spin < SPINS) Thread.onSpinWait();
            else {
                callerSleeping = true;
                if (finished.get() != owed) LockSupport.park(this);
                callerSleeping = false;
            }
        }
    }

    private void workerLoop(int index) {
        int seen = 0;
        while (true) {
            int gen;
            for (int spin = 0; (gen = generation) == seen && !closed; spin++) {
                if (spin < SPINS) Thread.onSpinWait();
                else {
                    sleeping.set(index - 1, 1);
                    if (generation == seen && !closed) LockSupport.park(this);
                    sleeping.set(index - 1, 0);
                }
            }
            if (closed) return;
            seen = gen;
            // The claim first: only a claimed chunk keeps job gen (and its fields) from ending.
            if (!claim.compareAndSet(index, 2L * gen, 2L * gen + 1)) continue;
            int chunks = jobChunks, n = jobN;
            RangeBody b = body;
            Thread owner = caller;
            try {
                b.range(chunkEnd(n, chunks, index - 1), chunkEnd(n, chunks, index));
            } catch (Throwable t) {
                error.compareAndSet(null, t);
            }
            finished.incrementAndGet();
            if (callerSleeping) LockSupport.unpark(owner);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void throwUnchecked(Throwable t) throws T {
        throw (T) t;
    }

    /** Stops the workers (they are daemons, so this is tidiness, not a requirement). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Thread t : workers) LockSupport.unpark(t);
        for (Thread t : workers) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
