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
            Mlp.Activations acts = mlp.activations(ws, rows, true);   // the row-split backward
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

    /**
     * The row-split passes (each thread runs every layer on its rows; weight gradients shared
     * out in pieces) give the same bits as the layer-by-layer passes, at 1 and 2 threads, with
     * ragged row counts; so does the serial inference pass of the sampler's chunks.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void rowSplitPassesEqualLayerByLayerBitwise(int threads) {
        int dim = 3;
        for (int rows : new int[] {1, 5, 37, 130, 701}) {   // 701: the forward split really forks
            float[][] out = new float[2][], dxs = new float[2][], grads = new float[2][];
            for (int mode = 0; mode < 2; mode++)
                try (Workspace ws = new Workspace(); Pool pool = new Pool(threads)) {
                    Mlp mlp = new Mlp(new MlpConfig(dim, 20, 3, "sinusoidal", 3), pool, ws);
                    mlp.setRowSplit(mode == 1);
                    Rng rng = new Rng(11);
                    mlp.init(rng);
                    Mlp.Activations acts = mlp.activations(ws, rows, true);
                    Tensor x = ws.tensor(rows, dim), t = ws.tensor(rows), w = ws.tensor(rows, dim), dx = ws.tensor(rows, dim);
                    rng.fillGaussian(x.segment(), x.size(), 1f);
                    rng.fillUniform(t.segment(), rows, 0f, 1f);
                    rng.fillGaussian(w.segment(), w.size(), 1f);
                    out[mode] = Tensor.wrap(mlp.forward(acts, x.segment(), t.segment(), rows), rows, dim).toArray();
                    mlp.backward(acts, w.segment(), dx.segment(), rows);
                    dxs[mode] = dx.toArray();
                    grads[mode] = mlp.params().grads().toArray();
                    if (mode == 1) {   // forwardSerial (one shared t) = forward
                        float[] a = Tensor.wrap(mlp.forward(acts, x.segment(), 0.25f, rows), rows, dim).toArray();
                        Mlp.Activations own = mlp.activations(ws, rows);
                        float[] b = Tensor.wrap(mlp.forwardSerial(own, x.segment(), 0, 0.25f, rows), rows, dim).toArray();
                        assertArrayEquals(a, b, "forwardSerial, rows " + rows);
                        if (rows > 3) {   // rows [2, rows) through x's row offset
                            float[] c = Tensor.wrap(mlp.forwardSerial(own, x.segment(), 2, 0.25f, rows - 2), rows - 2, dim).toArray();
                            assertArrayEquals(java.util.Arrays.copyOfRange(a, 2 * dim, rows * dim), c, "row offset, rows " + rows);
                        }
                    }
                }
            assertArrayEquals(out[0], out[1], "forward, rows " + rows);
            assertArrayEquals(dxs[0], dxs[1], "dx, rows " + rows);
            assertArrayEquals(grads[0], grads[1], "parameter gradients, rows " + rows);
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
