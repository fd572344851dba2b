package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.panflow.kernels.Pool;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.SolverKind;
import dev.panflow.ode.Solvers;
import dev.panflow.ode.TimeSchedule;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** With a non-uniform time schedule, the chunked fixed-step solve (step by step over the chunks) still equals the whole-batch one bitwise. */
class ScheduledChunkedSolveTest {
    @ParameterizedTest
    @CsvSource({"euler,shift:3,2", "midpoint,logit,2", "rk4,shift:0.5,1", "heun,logit,2"})
    void chunkedScheduledSolveEqualsWholeBatchBitwise(String solver, String schedule, int threads) {
        int dim = 2, rows = 301, chunk = 40;
        try (Workspace ws = new Workspace(); Pool pool = new Pool(threads)) {
            Mlp mlp = new Mlp(new MlpConfig(dim, 16, 2, "concat", 1), pool, ws);
            mlp.init(new Rng(3));
            Tensor x0 = ws.tensor(rows, dim);
            new Rng(4).fillGaussian(x0.segment(), x0.size(), 1f);
            Tensor whole = ws.tensor(rows, dim), chunked = ws.tensor(rows, dim), uniform = ws.tensor(rows, dim);
            whole.copyFrom(x0);
            chunked.copyFrom(x0);
            uniform.copyFrom(x0);
            MlpVelocityField big = new MlpVelocityField(mlp, ws, rows), small = new MlpVelocityField(mlp, ws, chunk);
            SolverKind kind = SolverKind.parse(solver);
            TimeSchedule s = TimeSchedule.parse(schedule);
            try (OdeSolver a = Solvers.open(kind, 5, 0, 0, 1, 0, s); OdeSolver b = Solvers.open(kind, 5, 0, 0, 1, 0, s);
                 OdeSolver u = Solvers.open(kind, 5, 0, 0, 1, 0, TimeSchedule.UNIFORM)) {
                a.solve(big, whole.segment(), rows, 0f, 1f);
                b.solve(small, chunked.segment(), rows, 0f, 1f);
                u.solve(big, uniform.segment(), rows, 0f, 1f);
            }
            assertArrayEquals(whole.toArray(), chunked.toArray(), solver + " " + schedule + " chunked solve");
            assertFalse(java.util.Arrays.equals(whole.toArray(), uniform.toArray()), "the schedule changed nothing");
        }
    }
}
