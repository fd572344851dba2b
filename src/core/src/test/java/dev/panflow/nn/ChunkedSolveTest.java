package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.panflow.kernels.Pool;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.Solvers;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Sampling in chunks (each pool thread integrates whole chunks of rows over the whole time span
 * with its own activations and stage buffers) gives the same bits as integrating every row at
 * once, and as a field evaluated chunk by chunk; ragged last chunks included.
 */
class ChunkedSolveTest {
    @ParameterizedTest
    @CsvSource({"euler,1", "euler,2", "midpoint,2", "heun,2", "rk4,1", "rk4,2"})
    void chunkedSolveEqualsWholeBatchBitwise(String solver, int threads) {
        int dim = 2, rows = 1001, chunk = 48;
        try (Workspace ws = new Workspace(); Pool pool = new Pool(threads)) {
            Mlp mlp = new Mlp(new MlpConfig(dim, 24, 3, "concat", 1), pool, ws);
            mlp.init(new Rng(3));
            Tensor x0 = ws.tensor(rows, dim);
            new Rng(4).fillGaussian(x0.segment(), x0.size(), 1f);
            Tensor whole = ws.tensor(rows, dim), chunked = ws.tensor(rows, dim), evalChunked = ws.tensor(rows, dim);
            whole.copyFrom(x0);
            chunked.copyFrom(x0);
            evalChunked.copyFrom(x0);
            MlpVelocityField big = new MlpVelocityField(mlp, ws, rows), small = new MlpVelocityField(mlp, ws, chunk);
            try (OdeSolver a = Solvers.byName(solver, 7, 0, 0); OdeSolver b = Solvers.byName(solver, 7, 0, 0)) {
                a.solve(big, whole.segment(), rows, 0f, 1f);
                b.solve(small, chunked.segment(), rows, 0f, 1f);
                b.solve(small, chunked.segment(), rows, 1f, 0.5f);   // again, backwards: buffers reused
                a.solve(big, whole.segment(), rows, 1f, 0.5f);
            }
            assertArrayEquals(whole.toArray(), chunked.toArray(), solver + " chunked solve");
            // A solver that only sees eval (Dopri5-like use): the field shares out chunks per eval.
            Tensor v1 = ws.tensor(rows, dim), v2 = ws.tensor(rows, dim);
            big.eval(0.3f, x0.segment(), v1.segment(), rows);
            small.eval(0.3f, x0.segment(), v2.segment(), rows);
            assertArrayEquals(v1.toArray(), v2.toArray(), "chunked eval");
        }
    }
}
