package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import org.junit.jupiter.api.Test;

class TimeEmbeddingTest {
    @Test
    void sinusoidalFeaturesAreSinCosPairsWithGeometricFrequencies() {
        TimeEmbedding e = TimeEmbedding.sinusoidal(4);
        assertEquals(8, e.width());
        try (Workspace ws = new Workspace()) {
            Tensor m = ws.tensor(2, 10);
            e.write(0.3f, m.segment(), 1, 10, 2);
            for (int k = 0; k < 4; k++) {
                double w = Math.pow(100, k / 3.0); // 1 … 100 rad per unit t
                assertEquals(Math.sin(w * 0.3), m.get(1, 2 + 2 * k), 1e-5);
                assertEquals(Math.cos(w * 0.3), m.get(1, 3 + 2 * k), 1e-5);
            }
            assertEquals(0f, m.get(1, 0));
            assertEquals(0f, m.get(0, 2));
        }
    }

    @Test
    void concatPassesTimeThrough() {
        TimeEmbedding e = TimeEmbedding.concat();
        assertEquals(1, e.width());
        try (Workspace ws = new Workspace()) {
            Tensor m = ws.tensor(1, 3);
            e.write(0.75f, m.segment(), 0, 3, 2);
            assertEquals(0.75f, m.get(0, 2));
        }
    }
}
