package dev.panflow.train;

import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * Heap bytes per call of a training step once it is warm, summed over every thread that runs it:
 * the caller and the kernel pool's workers ("panflow-kernel-N").
 *
 * <p>Until C2 has compiled the Vector API kernels, interpreted and C1 code box every vector.
 * Steps run in rounds until one round allocates less than {@link #BOUND} bytes per step, or
 * {@code maxSteps} steps have run. The warm-up is bounded in steps, not seconds: the JIT's
 * compiler threads share the CPU with the step's threads, so on a loaded machine both slow down
 * together, while a deadline in seconds let a busy machine run too few steps for C2 to catch up
 * (TrainStepAllocationTest failed at its 60 s deadline, once in the UseAVX=2 fork at 302,800
 * bytes/step). A step that allocates in steady state still fails: every round of it allocates.
 */
public final class SteadyState {
    /** Bytes per step below which a round counts as allocation-free (not one object per step). */
    public static final long BOUND = 64;

    /** The last round's bytes per step, and what the warm-up took (for the assertion's message). */
    public record Result(long bytesPerStep, String log) {
        public boolean allocationFree() { return bytesPerStep < BOUND; }
    }

    private SteadyState() {}

    /** Rounds of {@code roundSteps} calls of {@code step} until one is allocation-free, at most {@code maxSteps} in all. */
    public static Result measure(Runnable step, int roundSteps, long maxSteps) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        var jit = ManagementFactory.getCompilationMXBean();
        long[] ids = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t == Thread.currentThread() || t.getName().startsWith("panflow-kernel-"))
                .mapToLong(Thread::threadId).toArray();
        long perStep = Long.MAX_VALUE, steps = 0, t0 = System.nanoTime(), jit0 = jit.getTotalCompilationTime();
        StringBuilder rounds = new StringBuilder(); // B/step of each round
        while (perStep >= BOUND && steps < maxSteps) {
            long before = total(mx.getThreadAllocatedBytes(ids));
            for (int i = 0; i < roundSteps; i++) step.run();
            steps += roundSteps;
            perStep = (total(mx.getThreadAllocatedBytes(ids)) - before) / roundSteps;
            if (rounds.length() < 600) rounds.append(' ').append(perStep);
        }
        String log = String.format("%d B/step after %d steps (%.1f s, JIT %d ms) on threads %s; B/step per round of %d:%s",
                perStep, steps, (System.nanoTime() - t0) * 1e-9, jit.getTotalCompilationTime() - jit0, Arrays.toString(ids),
                roundSteps, rounds.length() < 600 ? rounds : rounds + " ...");
        System.out.println("steady state: " + log);
        return new Result(perStep, log);
    }

    private static long total(long[] xs) {
        long s = 0;
        for (long x : xs) s += Math.max(0, x); // -1: a thread that has ended
        return s;
    }
}
