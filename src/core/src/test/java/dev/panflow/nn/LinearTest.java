package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import org.junit.jupiter.api.Test;

class LinearTest {
    @Test
    void forwardMatchesDefinition() {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2)) {
            ParamStore store = new ParamStore();
            Linear lin = new Linear(store, pool, "l", 5, 3);
            store.allocate(ws.arena());
            Rng rng = new Rng(1);
            lin.init(rng);
            Tensor x = ws.tensor(4, 5), y = ws.tensor(4, 3);
            rng.fillGaussian(x.segment(), x.size(), 1f);
            lin.forward(x.segment(), y.segment(), 4);
            Tensor w = lin.weight.value(), b = lin.bias.value();
            for (int r = 0; r < 4; r++)
                for (int c = 0; c < 3; c++) {
                    double s = b.get(c);
                    for (int k = 0; k < 5; k++) s += x.get(r, k) * w.get(k, c);
                    assertEquals(s, y.get(r, c), 1e-5);
                }
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {9, 17, 10}, {33, 8, 19}};
        for (int[] s : shapes) {
            int rows = s[0], in = s[1], out = s[2];
            try (Workspace ws = new Workspace(); Pool pool = new Pool(2)) {
                ParamStore store = new ParamStore();
                Linear lin = new Linear(store, pool, "l", in, out);
                store.allocate(ws.arena());
                Rng rng = new Rng(rows * 31L + in);
                lin.init(rng);
                Tensor x = ws.tensor(rows, in), y = ws.tensor(rows, out), w = ws.tensor(rows, out), dx = ws.tensor(rows, in);
                rng.fillGaussian(x.segment(), x.size(), 1f);
                rng.fillGaussian(w.segment(), w.size(), 1f);
                lin.forward(x.segment(), y.segment(), rows);
                lin.backward(x.segment(), w.segment(), dx.segment(), rows); // dL/dy = w for L = Σ w·y
                java.util.function.DoubleSupplier loss = () -> {
                    lin.forward(x.segment(), y.segment(), rows);
                    return GradCheck.weightedSum(y.segment(), w.segment(), y.size());
                };
                GradCheck.check("dW", lin.weight.value().segment(), lin.weight.grad().segment(), lin.weight.size(), 40, loss);
                GradCheck.check("db", lin.bias.value().segment(), lin.bias.grad().segment(), lin.bias.size(), 40, loss);
                GradCheck.check("dx", x.segment(), dx.segment(), x.size(), 40, loss);
            }
        }
    }
}
