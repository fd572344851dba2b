package dev.panflow.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/** Buffers for the kernel timing mains: 64-byte aligned, filled uniformly in [lo, hi). */
final class BenchBuffers {
    private BenchBuffers() {}

    /** n floats (and 16 spare for vector tails), uniform in [lo, hi). */
    static MemorySegment random(Arena arena, long n, SplittableRandom rnd, float lo, float hi) {
        MemorySegment s = alloc(arena, n);
        for (long i = 0; i < n + 16; i++) s.setAtIndex(JAVA_FLOAT, i, lo + (hi - lo) * (float) rnd.nextDouble());
        return s;
    }

    static MemorySegment alloc(Arena arena, long n) { return arena.allocate(4L * n + 64, 64); }
}
