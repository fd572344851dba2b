package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import org.junit.jupiter.api.Test;

class SiluTest {
    @Test
    void forwardAndBackwardMatchDefinitionAndFiniteDifferences() {
        try (Workspace ws = new Workspace()) {
            int n = 37;
            Tensor x = ws.tensor(n), y = ws.tensor(n), w = ws.tensor(n), dx = ws.tensor(n);
            Rng rng = new Rng(3);
            rng.fillGaussian(x.segment(), n, 3f);
            rng.fillGaussian(w.segment(), n, 1f);
            Silu.forward(x.segment(), y.segment(), n);
            for (int i = 0; i < n; i++) {
                double v = x.get(i);
                assertEquals(v / (1 + Math.exp(-v)), y.get(i), 1e-5 * Math.max(1, Math.abs(v)));
            }
            Silu.backward(x.segment(), w.segment(), dx.segment(), n);
            GradCheck.check("dx", x.segment(), dx.segment(), n, n, () -> {
                Silu.forward(x.segment(), y.segment(), n);
                return GradCheck.weightedSum(y.segment(), w.segment(), n);
            });
        }
    }
}
