package dev.panflow.train;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

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
 * bytes/step; the cause, found later by the recording below: a method called on a loop-carried
 * vector, see dev.panflow.kernels' package-info). A step that allocates in steady state still fails:
 * every round of it allocates.
 * When it does, more rounds run under a JFR allocation recording, and the log names the sites
 * that allocated most (a boxed vector shows as its float[] payload or its species' class, under
 * the kernel that failed to keep it in registers): the failures this must explain come from C2's
 * compile order and do not repeat on demand.
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
        if (perStep >= BOUND) log += "; sampled allocation sites (bytes, class, frames):\n" + allocationSites(step, roundSteps, mx, ids);
        System.out.println("steady state: " + log);
        return new Result(perStep, log);
    }

    /**
     * More rounds under JFR's allocation sampler (which samples at TLAB refills, so until the threads
     * have allocated SAMPLED_BYTES, or 200 rounds): the heaviest sites on the step's threads, by weight.
     */
    static String allocationSites(Runnable step, int roundSteps, com.sun.management.ThreadMXBean mx, long[] ids) {
        Path file = null;
        try (Recording rec = new Recording()) {
            rec.enable("jdk.ObjectAllocationSample").with("throttle", "100000/s").withStackTrace();
            rec.start();
            long before = total(mx.getThreadAllocatedBytes(ids));
            for (int round = 0; round < 200 && total(mx.getThreadAllocatedBytes(ids)) - before < SAMPLED_BYTES; round++)
                for (int i = 0; i < roundSteps; i++) step.run();
            rec.stop();
            file = Files.createTempFile("steady-state", ".jfr");
            rec.dump(file);
            Map<String, Long> weight = new HashMap<>();
            Thread self = Thread.currentThread();
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                var t = e.getThread();
                if (t == null || e.getStackTrace() == null) continue;
                String name = t.getJavaName();
                if (name == null || !(name.equals(self.getName()) || name.startsWith("panflow-kernel-"))) continue;
                // The allocating frame, then Panflow's frames: which of them is compiled, and how, is the clue.
                var all = e.getStackTrace().getFrames();
                String frames = Stream.concat(all.stream().limit(1),
                                all.stream().skip(1).filter(f -> f.getMethod().getType().getName().startsWith("dev.panflow.")).limit(6))
                        .map(SteadyState::frame).collect(Collectors.joining(" < "));
                weight.merge(e.getClass("objectClass").getName() + " @ " + frames, e.getLong("weight"), Long::sum);
            }
            if (weight.isEmpty()) return "  (no samples)";
            return weight.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(8)
                    .map(en -> "  " + en.getValue() + " " + en.getKey()).collect(Collectors.joining("\n"));
        } catch (Exception | LinkageError e) {
            return "  (no JFR recording: " + e + ")";
        } finally {
            if (file != null) try { Files.deleteIfExists(file); } catch (java.io.IOException ignored) {}
        }
    }

    private static final long SAMPLED_BYTES = 64L << 20;

    private static String frame(RecordedFrame f) {
        var m = f.getMethod();
        String type = m.getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + m.getName() + ":" + f.getLineNumber() + (f.isJavaFrame() ? "" : "(native)")
                + "[" + f.getType() + "]";
    }

    private static long total(long[] xs) {
        long s = 0;
        for (long x : xs) s += Math.max(0, x); // -1: a thread that has ended
        return s;
    }
}
