package dev.panflow.bench.kernels;

import java.lang.management.ManagementFactory;

/**
 * Time source for the side-by-side benchmarks: wall time, or the calling thread's CPU time. On a
 * shared machine whose other processes take turns on the same cores, wall time measures the
 * scheduler; a single-threaded kernel's CPU time still measures the kernel (cache pollution by
 * the neighbours remains). Multi-threaded runs always need wall time.
 */
public enum Clock {
    WALL, CPU;

    private static final com.sun.management.ThreadMXBean BEAN =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Nanoseconds since some fixed origin. */
    public long now() {
        return this == WALL ? System.nanoTime() : BEAN.getCurrentThreadCpuTime();
    }

    public static Clock parse(String s) {
        return switch (s) {
            case "wall" -> WALL;
            case "cpu" -> CPU;
            default -> throw new IllegalArgumentException("clock must be wall or cpu: " + s);
        };
    }
}
