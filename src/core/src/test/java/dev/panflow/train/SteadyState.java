package dev.panflow.train;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Heap bytes per call of a training step once it is warm, summed over every thread that runs it:
 * the caller and the kernel pool's workers ("panflow-kernel-N").
 *
 * <p>Until C2 has compiled the Vector API kernels, vectors are boxed on the heap. Steps run in
 * rounds until one round allocates less than {@link #BOUND} bytes per step, or {@code maxSteps}
 * have run. The warm-up is bounded in steps, not seconds: the JIT's compiler threads share the
 * CPU with the step's threads, so on a loaded machine both slow down together, while a step that
 * allocates in steady state still fails after {@code maxSteps}.
 */
final class SteadyState {
    /** Bytes per step below which a round counts as allocation-free (a stray TLAB refill, not a per-step object). */
    static final long BOUND = 64;

    private SteadyState() {}

    /** The last round's bytes per step: the first below {@link #BOUND}, or the last of {@code maxSteps}. */
    static long bytesPerStep(Runnable step, int roundSteps, long maxSteps) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] ids = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t == Thread.currentThread() || t.getName().startsWith("panflow-kernel-"))
                .mapToLong(Thread::threadId).toArray();
        long perStep = Long.MAX_VALUE, steps = 0, t0 = System.nanoTime();
        while (perStep >= BOUND && steps < maxSteps) {
            long before = total(mx.getThreadAllocatedBytes(ids));
            for (int i = 0; i < roundSteps; i++) step.run();
            steps += roundSteps;
            perStep = (total(mx.getThreadAllocatedBytes(ids)) - before) / roundSteps;
        }
        System.out.printf("steady state: %d B/step after %d steps (%.1f s) over threads %s%n", perStep, steps,
                (System.nanoTime() - t0) * 1e-9, Arrays.toString(ids));
        return perStep;
    }

    private static long total(long[] xs) {
        long s = 0;
        for (long x : xs) s += Math.max(0, x); // -1: a thread that has ended
        return s;
    }
}
