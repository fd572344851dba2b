package dev.panflow.kernels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

class NarrowConvTest {
    /** Ragged planes: H·W below one vector, between the one-vector and four-vector loops, and past both with tails. */
    @Test
    void agreesWithScalarOnRaggedShapes() {
        try (NarrowConv conv = new NarrowConv()) {
            ConvAgreement.check(conv, 1e-5, List.of(
                    new ConvShape(2, 24, 28, 28, 1, 3, 3, 1, 1),   // a U-Net's output layer
                    new ConvShape(3, 5, 7, 9, 3, 3, 3, 1, 1),
                    new ConvShape(1, 1, 1, 1, 1, 3, 3, 1, 1),
                    new ConvShape(2, 3, 2, 3, 4, 3, 3, 1, 1),
                    new ConvShape(1, 7, 1, 13, 2, 3, 3, 1, 1),
                    new ConvShape(2, 2, 13, 1, 1, 3, 3, 1, 1),
                    new ConvShape(2, 4, 6, 11, 4, 3, 3, 1, 1),
                    new ConvShape(3, 6, 17, 5, 2, 3, 3, 1, 1)));
        }
    }

    @Test
    void handlesOnlyNarrowThreeByThreeSamePaddingShapes() {
        assertTrue(NarrowConv.handles(new ConvShape(64, 24, 28, 28, 1, 3, 3, 1, 1)));
        assertTrue(NarrowConv.handles(new ConvShape(64, 24, 28, 28, 3, 3, 3, 1, 1)));
        assertFalse(NarrowConv.handles(new ConvShape(64, 24, 28, 28, 5, 3, 3, 1, 1)));
        assertFalse(NarrowConv.handles(new ConvShape(64, 24, 28, 28, 1, 3, 3, 2, 1)));
        assertFalse(NarrowConv.handles(new ConvShape(64, 24, 28, 28, 1, 1, 1, 1, 0)));
        assertFalse(NarrowConv.handles(new ConvShape(64, 24, 28, 28, 1, 3, 3, 1, 0)));
        try (NarrowConv conv = new NarrowConv()) {
            var sh = new ConvShape(1, 2, 4, 4, 8, 3, 3, 1, 1);
            assertThrows(IllegalArgumentException.class,
                    () -> conv.forward(sh, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL));
        }
    }
}
