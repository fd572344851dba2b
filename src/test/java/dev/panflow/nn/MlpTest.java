package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.panflow.UserError;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MlpTest {
    @ParameterizedTest
    @ValueSource(strings = {"sinusoidal", "concat"})
    void backwardMatchesFiniteDifferencesForEveryParameterAndTheInput(String embedding) {
        int rows = 7, dim = 3;
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2)) {
            Mlp mlp = new Mlp(new MlpConfig(dim, 12, 3, embedding, 4), pool, ws);
            Rng rng = new Rng(5);
            mlp.init(rng);
            Mlp.Activations acts = mlp.activations(ws, rows);
            Tensor x = ws.tensor(rows, dim), t = ws.tensor(rows), w = ws.tensor(rows, dim), dx = ws.tensor(rows, dim);
            rng.fillGaussian(x.segment(), x.size(), 1f);
            rng.fillUniform(t.segment(), rows, 0f, 1f);
            rng.fillGaussian(w.segment(), w.size(), 1f);
            mlp.forward(acts, x.segment(), t.segment(), rows);
            mlp.backward(acts, w.segment(), dx.segment(), rows);
            java.util.function.DoubleSupplier loss = () ->
                    GradCheck.weightedSum(mlp.forward(acts, x.segment(), t.segment(), rows), w.segment(), (long) rows * dim);
            for (Param p : mlp.params().params())
                GradCheck.check(p.name(), p.value().segment(), p.grad().segment(), p.size(), 25, loss);
            GradCheck.check("dx", x.segment(), dx.segment(), x.size(), (int) x.size(), loss);
        }
    }

    @Test
    void sharedTimeEqualsPerRowTimes() {
        int rows = 5, dim = 2;
        try (Workspace ws = new Workspace(); Pool pool = new Pool(1)) {
            Mlp mlp = new Mlp(new MlpConfig(dim, 8, 2, "sinusoidal", 3), pool, ws);
            mlp.init(new Rng(9));
            Mlp.Activations acts = mlp.activations(ws, rows);
            Tensor x = ws.tensor(rows, dim), t = ws.tensor(rows);
            new Rng(2).fillGaussian(x.segment(), x.size(), 1f);
            t.fill(0.37f);
            float[] a = Tensor.wrap(mlp.forward(acts, x.segment(), t.segment(), rows), rows, dim).toArray();
            float[] b = Tensor.wrap(mlp.forward(acts, x.segment(), 0.37f, rows), rows, dim).toArray();
            assertArrayEquals(a, b);
        }
    }

    @Test
    void parameterCountAndLayout() {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(1)) {
            Mlp mlp = new Mlp(new MlpConfig(2, 16, 3, "concat", 0), pool, ws);
            // (2+1)·16+16 + 2·(16·16+16) + 16·2+2
            assertEquals(3 * 16 + 16 + 2 * (256 + 16) + 32 + 2, mlp.params().count());
            assertEquals(8, mlp.params().params().size());
            assertEquals("net.0.weight", mlp.params().params().get(0).name());
        }
    }

    @Test
    void badConfigIsRefused() {
        assertThrows(UserError.class, () -> new MlpConfig(2, 0, 3, "concat", 0));
        assertThrows(UserError.class, () -> new MlpConfig(2, 8, 0, "concat", 0));
        assertThrows(UserError.class, () -> new MlpConfig(2, 8, 2, "fourier?", 4));
    }
}
