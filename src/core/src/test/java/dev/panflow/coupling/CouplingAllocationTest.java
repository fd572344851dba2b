package dev.panflow.coupling;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.Checkerboard;
import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The OT pairing runs every training step: once compiled it must allocate nothing (own JVM, like TrainStepAllocationTest). */
@Tag("isolated")
class CouplingAllocationTest {
    @Test
    void steadyStatePairingAllocatesNothingOnTheHeap() {
        steadyState(new MinibatchOtCoupling(64, 2), 64);
    }

    @Test
    void steadyStateSinkhornPairingAllocatesNothingOnTheHeap() {
        steadyState(new SinkhornCoupling(67, 2, 0.05), 67); // 67: SIMD body and scalar tail both run
        steadyState(new SinkhornCoupling(40, 2, 0.002), 40); // small reg: absorptions and kernel recomputes run too
    }

    @Test
    void steadyStateClassConditionalPairingAllocatesNothingOnTheHeap() {
        steadyState(Coupling.byName("ot", 64, 2, 0.05, Double.POSITIVE_INFINITY), 64);       // within each class
        steadyState(Coupling.byName("sinkhorn", 67, 2, 0.05, Double.POSITIVE_INFINITY), 67);
        steadyState(Coupling.byName("sinkhorn", 67, 2, 0.05, 0.5), 67);                      // C²OT's class term
        steadyState(Coupling.byName("ot", 64, 2, 0.05, 0.5), 64);
    }

    private static void steadyState(Coupling ot, int n) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long me = Thread.currentThread().threadId();
        Checkerboard cb = new Checkerboard();
        Rng rng = new Rng(2);
        int[] labels = ot.pairsClasses() ? new int[n] : null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x0 = arena.allocate(8L * n), x1 = arena.allocate(8L * n);
            long perCall = Long.MAX_VALUE;
            long deadline = System.nanoTime() + 60_000_000_000L; // bounds only code that really allocates (as AllocationTest)
            while (perCall >= 64 && System.nanoTime() < deadline) { // no round cap: under load C2 can lag far behind the calls
                long before = mx.getThreadAllocatedBytes(me);
                for (int i = 0; i < 500; i++) {
                    cb.sample(rng, x1, n);
                    rng.fillGaussian(x0, 2L * n, 1f);
                    if (labels != null) for (int r = 0; r < n; r++) labels[r] = rng.nextInt(4);
                    ot.pair(x0, x1, labels, n, 2, rng);
                }
                perCall = (mx.getThreadAllocatedBytes(me) - before) / 500;
            }
            assertTrue(perCall < 64, "a warmed-up " + ot.name() + " pairing still allocated " + perCall + " bytes on the heap");
        }
    }
}
