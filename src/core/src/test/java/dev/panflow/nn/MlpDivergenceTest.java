package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.kernels.Pool;
import dev.panflow.ode.Divergence;
import dev.panflow.ode.Euler;
import dev.panflow.ode.LogLikelihood;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import org.junit.jupiter.api.Test;

/** The MLP's input VJP and the exact divergence built on it, against finite differences. */
class MlpDivergenceTest {
    static final int ROWS = 6, DIM = 3;

    /** Central difference of v_i in x_i, summed over i, per row (step h in float). */
    static double[] finiteDifferenceDivergence(MlpVelocityField f, Tensor x, float t, Workspace ws) {
        Tensor xp = ws.tensor(ROWS, DIM), vp = ws.tensor(ROWS, DIM), vm = ws.tensor(ROWS, DIM);
        double[] div = new double[ROWS];
        float h = 1e-2f;
        for (int i = 0; i < DIM; i++) {
            xp.copyFrom(x);
            for (int r = 0; r < ROWS; r++) xp.set(r, i, x.get(r, i) + h);
            f.eval(t, xp.segment(), vp.segment(), ROWS);
            for (int r = 0; r < ROWS; r++) xp.set(r, i, x.get(r, i) - h);
            f.eval(t, xp.segment(), vm.segment(), ROWS);
            for (int r = 0; r < ROWS; r++) {
                double span = (double) (x.get(r, i) + h) - (double) (x.get(r, i) - h); // the float steps taken
                div[r] += (vp.get(r, i) - vm.get(r, i)) / span;
            }
        }
        return div;
    }

    @Test
    void exactDivergenceMatchesFiniteDifferences() {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2)) {
            Mlp mlp = new Mlp(new MlpConfig(DIM, 24, 3, "sinusoidal", 4), pool, ws);
            Rng rng = new Rng(21);
            mlp.init(rng);
            MlpVelocityField f = new MlpVelocityField(mlp, ws, 4); // smaller than ROWS: chunked
            Tensor x = ws.tensor(ROWS, DIM);
            rng.fillGaussian(x.segment(), x.size(), 1.5f);
            float t1 = 0.6f;
            double[] fd = finiteDifferenceDivergence(f, x, t1, ws);
            // One Euler step from t1 to 0: x0 = x − t1·v, Δ = t1·div, log p = log N(x0; 0, I) − t1·div.
            Tensor v = ws.tensor(ROWS, DIM);
            f.eval(t1, x.segment(), v.segment(), ROWS);
            try (LogLikelihood ll = new LogLikelihood(f, Divergence.exact(), ROWS)) {
                double[] logp = ll.compute(x.segment(), ROWS, t1, 1, new Euler(1), 0).logp();
                double spread = 0;
                for (int r = 0; r < ROWS; r++) {
                    double sq = 0;
                    for (int j = 0; j < DIM; j++) sq += Math.pow(x.get(r, j) - t1 * v.get(r, j), 2);
                    double logPrior = -0.5 * DIM * Math.log(2 * Math.PI) - 0.5 * sq;
                    double div = (logPrior - logp[r]) / t1;
                    assertEquals(fd[r], div, 2e-3 * (1 + Math.abs(fd[r])), "row " + r);
                    spread += Math.abs(fd[r]);
                }
                assertTrue(spread > 0.05, "divergences too small to test anything: " + spread);
            }
        }
    }

    @Test
    void inputVjpEqualsBackwardInputGradientAndLeavesParameterGradientsAlone() {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(1)) {
            Mlp mlp = new Mlp(new MlpConfig(DIM, 16, 2, "concat", 0), pool, ws);
            Rng rng = new Rng(4);
            mlp.init(rng);
            Mlp.Activations acts = mlp.activations(ws, ROWS);
            Tensor x = ws.tensor(ROWS, DIM), u = ws.tensor(ROWS, DIM), a = ws.tensor(ROWS, DIM), b = ws.tensor(ROWS, DIM);
            rng.fillGaussian(x.segment(), x.size(), 1f);
            rng.fillGaussian(u.segment(), u.size(), 1f);
            mlp.forward(acts, x.segment(), 0.3f, ROWS);
            mlp.backward(acts, u.segment(), a.segment(), ROWS);
            float[] grads = mlp.params().grads().toArray();
            mlp.inputVjp(acts, u.segment(), b.segment(), ROWS);
            assertArrayEquals(a.toArray(), b.toArray(), 1e-6f);
            assertArrayEquals(grads, mlp.params().grads().toArray());
        }
    }

    @Test
    void vjpWithoutMatchingEvalIsRefused() {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(1)) {
            Mlp mlp = new Mlp(new MlpConfig(DIM, 8, 1, "concat", 0), pool, ws);
            mlp.init(new Rng(1));
            MlpVelocityField f = new MlpVelocityField(mlp, ws, 4);
            Tensor x = ws.tensor(8, DIM), g = ws.tensor(8, DIM);
            assertThrows(IllegalStateException.class, () -> f.vjp(x.segment(), g.segment(), 2));
            f.eval(0.5f, x.segment(), g.segment(), 8); // chunked: no single pass to reuse
            assertThrows(IllegalStateException.class, () -> f.vjp(x.segment(), g.segment(), 8));
        }
    }
}
