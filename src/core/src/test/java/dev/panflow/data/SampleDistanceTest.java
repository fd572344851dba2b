package dev.panflow.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class SampleDistanceTest {
    static MemorySegment of(Arena a, float... v) {
        MemorySegment s = a.allocate(4L * v.length);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT, 0, v.length);
        return s;
    }

    @Test
    void energyDistanceHandValues() {
        try (Arena a = Arena.ofConfined()) {
            // Point masses at 0 and 1 in 1-D: 2·1 − 0 − 0.
            assertEquals(2.0, SampleDistance.energy(of(a, 0f), 1, of(a, 1f), 1, 1), 1e-12);
            // X = {0, 2}, Y = {1}: 2·1 − (0+2+2+0)/4 − 0 = 1.
            assertEquals(1.0, SampleDistance.energy(of(a, 0f, 2f), 2, of(a, 1f), 1, 1), 1e-12);
            // 2-D: X = {(0,0)}, Y = {(3,4)}: 2·5.
            assertEquals(10.0, SampleDistance.energy(of(a, 0f, 0f), 1, of(a, 3f, 4f), 1, 2), 1e-12);
            MemorySegment x = of(a, 0.5f, -1f, 2f, 3f, 7f, 1f);
            assertEquals(0.0, SampleDistance.energy(x, 3, x, 3, 2), 1e-12);
        }
    }

    @Test
    void bothDistancesGrowWithAShiftAndVanishForOneDistribution() {
        int n = 600;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment x = a.allocate(8L * n), y = a.allocate(8L * n), z = a.allocate(8L * n);
            Rng rng = new Rng(4);
            rng.fillGaussian(x, 2L * n, 1f);
            rng.fillGaussian(y, 2L * n, 1f);
            rng.fillGaussian(z, 2L * n, 1f);
            for (int i = 0; i < n; i++) z.setAtIndex(ValueLayout.JAVA_FLOAT, 2L * i, z.getAtIndex(ValueLayout.JAVA_FLOAT, 2L * i) + 1.5f);
            double same = SampleDistance.energy(x, n, y, n, 2), shifted = SampleDistance.energy(x, n, z, n, 2);
            assertTrue(same >= 0 && same < 0.03, "same distribution: " + same);
            assertTrue(shifted > 0.5, "shifted by 1.5: " + shifted);
            double swSame = SampleDistance.slicedWasserstein(x, n, y, n, 2, 50, 1);
            double swShift = SampleDistance.slicedWasserstein(x, n, z, n, 2, 50, 1);
            // A shift s along x gives W2² = (s·cos θ)² per direction, mean s²/2 over the circle: SW2 = s/√2.
            assertEquals(1.5 / Math.sqrt(2), swShift, 0.15);
            assertTrue(swSame < 0.15, "same distribution: " + swSame);
        }
    }
}
