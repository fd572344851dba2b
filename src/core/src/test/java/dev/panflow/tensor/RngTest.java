package dev.panflow.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class RngTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** The batched fills are the serial nextGaussian stream bit for bit, and leave the same state (spare included). */
    @Test
    void batchedFillsAreTheSerialStream() {
        long[] sizes = {Rng.BATCHED, Rng.BATCHED + 1, 2047, 2048, 2049, 5001, 3 * Rng.BATCHED + 7};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(4L * 6000);
            for (long n : sizes)
                for (boolean spareFirst : new boolean[] {false, true})
                    for (boolean shifted : new boolean[] {false, true}) {
                        long seed = 31 * n + (spareFirst ? 1 : 0);
                        Rng batched = new Rng(seed), serial = new Rng(seed);
                        if (spareFirst) assertEquals(serial.nextGaussian(), batched.nextGaussian());   // a spare pending
                        if (shifted) batched.fillGaussian(out, n, 1f, 2f);
                        else batched.fillGaussian(out, n, 0.5f);
                        for (long i = 0; i < n; i++) {
                            float want = shifted ? (float) (1f + 2f * serial.nextGaussian()) : (float) (0.5f * serial.nextGaussian());
                            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(out.getAtIndex(F, i)),
                                    "n " + n + " spare " + spareFirst + " shifted " + shifted + " at " + i);
                        }
                        assertArrayEquals(serial.state(), batched.state(), "state after n " + n);
                        assertEquals(serial.nextGaussian(), batched.nextGaussian());
                        assertEquals(serial.nextLong(), batched.nextLong());
                    }
        }
    }

    /** Two fills in a row (the second starting on the first's spare) are one serial stream. */
    @Test
    void consecutiveFillsContinueTheStream() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(4L * 1501), b = arena.allocate(4L * 1100);
            Rng batched = new Rng(7), serial = new Rng(7);
            batched.fillGaussian(a, 1501, 1f);   // odd: leaves a spare
            batched.fillGaussian(b, 1100, 1f);
            for (long i = 0; i < 1501; i++) assertEquals((float) serial.nextGaussian(), a.getAtIndex(F, i));
            for (long i = 0; i < 1100; i++) assertEquals((float) serial.nextGaussian(), b.getAtIndex(F, i));
            assertArrayEquals(serial.state(), batched.state());
        }
    }
}
