package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Forward-mode passes (jvp) of every layer the MLP uses, and of the MLP, against central finite
 * differences of the forward pass: (f(p + εṗ) − f(p − εṗ)) / 2ε along a random tangent ṗ.
 */
class JvpTest {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final double EPS = 1e-2;

    /** |a − b| ≤ tol·max(1, |b|) for every element, and the tangent is not all zero. */
    static void assertMatches(String what, float[] jvp, double[] fd, double tol) {
        double norm = 0;
        for (int i = 0; i < fd.length; i++) {
            norm += fd[i] * fd[i];
            double err = Math.abs(jvp[i] - fd[i]) / Math.max(1.0, Math.abs(fd[i]));
            assertTrue(err < tol, what + "[" + i + "]: jvp " + jvp[i] + " vs finite difference " + fd[i]);
        }
        assertTrue(norm > 1e-6, what + ": the tangent is zero, nothing was checked");
    }

    @ParameterizedTest
    @CsvSource({"sinusoidal,1", "concat,1", "sinusoidal,2", "concat,2"})
    void timeEmbeddingJvpMatchesFiniteDifferences(String kind, int frequencies) {
        TimeEmbedding e = kind.equals("concat") ? TimeEmbedding.concat() : TimeEmbedding.sinusoidal(4 * frequencies);
        int w = e.width(), stride = w + 3, col = 2;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(4L * stride), j = a.allocate(4L * stride);
            for (float t : new float[] {0f, 0.13f, 0.5f, 0.97f}) {
                float dt = -0.7f;
                e.write(t, f, 0, stride, col);
                e.jvp(f, dt, j, 0, stride, col);
                float[] got = new float[w];
                for (int k = 0; k < w; k++) got[k] = j.getAtIndex(F, col + k);
                assertMatches(kind + " t=" + t, got, fdSmall(e, t, dt, stride, col, w), 2e-2);
            }
        }
    }

    /** Central differences with ε = 1e-3 (ω reaches 100 rad per unit time: a larger ε would bias them), over the float times actually used. */
    private static double[] fdSmall(TimeEmbedding e, float t, float dt, int stride, int col, int w) {
        double eps = 1e-3;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment up = a.allocate(4L * stride), dn = a.allocate(4L * stride);
            e.write((float) (t + eps * dt), up, 0, stride, col);
            e.write((float) (t - eps * dt), dn, 0, stride, col);
            float tu = (float) (t + eps * dt), td = (float) (t - eps * dt);
            double[] fd = new double[w];
            for (int k = 0; k < w; k++) fd[k] = (up.getAtIndex(F, col + k) - (double) dn.getAtIndex(F, col + k)) / ((double) tu - td) * dt;
            return fd;
        }
    }

    @ParameterizedTest
    @CsvSource({"1,1,1", "3,5,7", "9,17,4", "16,33,25"})
    void linearJvpMatchesFiniteDifferences(int in, int out, int rows) {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2)) {
            ParamStore store = new ParamStore();
            Linear l = new Linear(store, pool, "l", in, out);
            store.allocate(ws.arena());
            Rng rng = new Rng(3);
            l.init(rng);
            Tensor x = ws.tensor(rows, in), dx = ws.tensor(rows, in), xp = ws.tensor(rows, in), y = ws.tensor(rows, out),
                    y2 = ws.tensor(rows, out), j = ws.tensor(rows, out);
            rng.fillGaussian(x.segment(), x.size(), 1f);
            rng.fillGaussian(dx.segment(), dx.size(), 1f);
            l.jvp(dx.segment(), j.segment(), rows);
            double[] fd = centralDiff(x, dx, xp, y, y2, () -> l.forward(xp.segment(), y.segment(), rows), () -> l.forward(xp.segment(), y2.segment(), rows));
            assertMatches("linear " + in + "x" + out, j.toArray(), fd, 1e-2);
        }
    }

    @ParameterizedTest
    @CsvSource({"1", "7", "16", "33", "1031"})
    void siluJvpMatchesFiniteDifferences(int n) {
        try (Workspace ws = new Workspace()) {
            Rng rng = new Rng(4);
            Tensor x = ws.tensor(n), dx = ws.tensor(n), xp = ws.tensor(n), y = ws.tensor(n), y2 = ws.tensor(n), j = ws.tensor(n);
            rng.fillGaussian(x.segment(), n, 2f);
            rng.fillGaussian(dx.segment(), n, 1f);
            Silu.jvp(x.segment(), dx.segment(), j.segment(), n);
            double[] fd = centralDiff(x, dx, xp, y, y2, () -> Silu.forward(xp.segment(), y.segment(), n), () -> Silu.forward(xp.segment(), y2.segment(), n));
            assertMatches("silu " + n, j.toArray(), fd, 1e-2);
        }
    }

    /** fd = (f(x + εẋ) − f(x − εẋ)) / 2ε, with {@code up} writing f(xp) into y and {@code down} into y2. */
    private static double[] centralDiff(Tensor x, Tensor dx, Tensor xp, Tensor y, Tensor y2, Runnable up, Runnable down) {
        long n = x.size();
        for (long i = 0; i < n; i++) xp.segment().setAtIndex(F, i, (float) (x.get(i) + EPS * dx.get(i)));
        up.run();
        for (long i = 0; i < n; i++) xp.segment().setAtIndex(F, i, (float) (x.get(i) - EPS * dx.get(i)));
        down.run();
        double[] fd = new double[(int) y.size()];
        for (int i = 0; i < fd.length; i++) fd[i] = (y.get(i) - (double) y2.get(i)) / (2 * EPS);
        return fd;
    }

    /**
     * The MLP's jvp along (ẋ, ṫ, ḣ) against central differences of its forward pass, with one and
     * two time inputs, both embeddings, layer-by-layer and row-split passes, ragged row counts.
     */
    @ParameterizedTest
    @CsvSource({"sinusoidal,1,true,7", "concat,1,false,5", "sinusoidal,2,true,13", "concat,2,true,1", "sinusoidal,2,false,37"})
    void mlpJvpMatchesFiniteDifferences(String embedding, int timeInputs, boolean rowSplit, int rows) {
        int dim = 3;
        float dt = 1f, dh = -1f;
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2)) {
            Mlp mlp = new Mlp(new MlpConfig(dim, 16, 3, embedding, 3, timeInputs), pool, ws);
            mlp.setRowSplit(rowSplit);
            Rng rng = new Rng(8);
            mlp.init(rng);
            Mlp.Activations acts = mlp.activations(ws, rows, true);
            Tensor x = ws.tensor(rows, dim), dx = ws.tensor(rows, dim), t = ws.tensor(rows), h = ws.tensor(rows), j = ws.tensor(rows, dim);
            Tensor xp = ws.tensor(rows, dim), tp = ws.tensor(rows), hp = ws.tensor(rows);
            rng.fillGaussian(x.segment(), x.size(), 1f);
            rng.fillGaussian(dx.segment(), dx.size(), 1f);
            rng.fillUniform(t.segment(), rows, 0.1f, 0.6f);
            rng.fillUniform(h.segment(), rows, 0.05f, 0.3f);
            mlp.forward(acts, x.segment(), t.segment(), h.segment(), rows);
            mlp.jvp(acts, dx.segment(), dt, dh, j.segment(), rows);
            double eps = 1e-3;
            double[][] f = new double[2][];
            for (int side = 0; side < 2; side++) {
                double s = side == 0 ? eps : -eps;
                for (long i = 0; i < x.size(); i++) xp.segment().setAtIndex(F, i, (float) (x.get(i) + s * dx.get(i)));
                for (int r = 0; r < rows; r++) {
                    tp.segment().setAtIndex(F, r, (float) (t.get(r) + s * dt));
                    hp.segment().setAtIndex(F, r, (float) (h.get(r) + s * dh));
                }
                MemorySegment out = mlp.forward(acts, xp.segment(), tp.segment(), hp.segment(), rows);
                f[side] = new double[rows * dim];
                for (int i = 0; i < rows * dim; i++) f[side][i] = out.getAtIndex(F, i);
            }
            double[] fd = new double[rows * dim];
            for (int i = 0; i < fd.length; i++) fd[i] = (f[0][i] - f[1][i]) / (2 * eps);
            assertMatches("mlp " + embedding + " times " + timeInputs, j.toArray(), fd, 2e-2);
        }
    }
}
