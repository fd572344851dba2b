package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.panflow.kernels.Pool;
import dev.panflow.ode.VelocityField;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * evalPerRow of the network fields: row r at its own time t[r] equals eval(t[r]) of that row
 * alone, whether the batch fits one pass, is split into chunks, or is shared out over threads;
 * with every time equal it is eval(t) bit for bit.
 */
class PerRowTimeFieldTest {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    static void check(VelocityField f, int rows, int dim, Workspace ws) {
        Tensor x = ws.tensor(rows, dim), out = ws.tensor(rows, dim), one = ws.tensor(1, dim), same = ws.tensor(rows, dim);
        new Rng(9).fillGaussian(x.segment(), x.size(), 1f);
        Tensor t = ws.tensor(rows, 1);
        for (int r = 0; r < rows; r++) t.set(r, 0, (float) ((r * 0.618) % 1));
        f.evalPerRow(t.segment(), x.segment(), out.segment(), rows);
        for (int r = 0; r < rows; r++) {
            f.eval(t.get(r, 0), x.segment().asSlice(4L * r * dim, 4L * dim), one.segment(), 1);
            for (int j = 0; j < dim; j++) {
                float a = out.get(r, j), b = one.get(0, j);
                assertEquals(b, a, 1e-6f * Math.max(1, Math.abs(b)), "row " + r + " coordinate " + j);
            }
        }
        for (int r = 0; r < rows; r++) t.set(r, 0, 0.4f);
        f.evalPerRow(t.segment(), x.segment(), out.segment(), rows);
        f.eval(0.4f, x.segment(), same.segment(), rows);
        assertArrayEquals(same.toArray(), out.toArray(), "equal times: eval(t)");
    }

    @ParameterizedTest
    @CsvSource({"1,300,concat", "2,300,sinusoidal", "2,48,concat", "1,48,sinusoidal"})
    void mlpFieldTakesATimePerRow(int threads, int chunk, String embedding) {
        int dim = 2, rows = 301;
        try (Workspace ws = new Workspace(); Pool pool = new Pool(threads)) {
            Mlp mlp = new Mlp(new MlpConfig(dim, 24, 3, embedding, embedding.equals("concat") ? 1 : 4), pool, ws);
            mlp.init(new Rng(3));
            check(new MlpVelocityField(mlp, ws, chunk), rows, dim, ws);
        }
    }

    @ParameterizedTest
    @CsvSource({"300", "48"})
    void flowModelFieldTakesATimePerRow(int chunk) {
        int dim = 3, rows = 200;
        try (Workspace ws = new Workspace(); Pool pool = new Pool(1)) {
            Mlp mlp = new Mlp(new MlpConfig(dim, 16, 2, "sinusoidal", 4), pool, ws);
            mlp.init(new Rng(5));
            check(new FlowModelField(new MlpModel(mlp, ws), ws, chunk, null, 0f), rows, dim, ws);
        }
    }
}
