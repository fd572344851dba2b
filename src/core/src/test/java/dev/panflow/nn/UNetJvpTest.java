package dev.panflow.nn;

import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The U-Net's forward mode along (ẋ, ṫ) against central finite differences of its forward pass (every weight random, so no block is a no-op). */
class UNetJvpTest {
    @ParameterizedTest
    @CsvSource({"0,2", "3,1"})
    void unetJvpMatchesFiniteDifferences(int classes, int n) {
        float dt = 0.7f;
        double eps = 2e-3;
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            UNet net = new UNet(new UNetConfig(1, 8, 8, new int[] {4, 8}, 2, 4, classes), conv, pool, ws);
            Rng rng = new Rng(7);
            net.init(rng);
            net.params().values().segment();
            rng.fillUniform(net.params().values().segment(), net.params().flatSize(), -0.3f, 0.3f);
            net.reserve(n);
            int dim = net.dim();
            int[] labels = classes == 0 ? null : new int[] {2};
            Tensor x = ws.tensor(n, dim), dx = ws.tensor(n, dim), t = ws.tensor(n), xp = ws.tensor(n, dim), tp = ws.tensor(n), j = ws.tensor(n, dim);
            rng.fillGaussian(x.segment(), x.size(), 1f);
            rng.fillGaussian(dx.segment(), dx.size(), 1f);
            rng.fillUniform(t.segment(), n, 0.2f, 0.8f);
            double[][] f = new double[2][];
            for (int side = 0; side < 2; side++) {
                double s = side == 0 ? eps : -eps;
                for (long i = 0; i < x.size(); i++) xp.segment().setAtIndex(JvpTest.F, i, (float) (x.get(i) + s * dx.get(i)));
                for (int r = 0; r < n; r++) tp.segment().setAtIndex(JvpTest.F, r, (float) (t.get(r) + s * dt));
                MemorySegment o = net.forward(xp.segment(), tp.segment(), labels, n);
                f[side] = new double[n * dim];
                for (int i = 0; i < n * dim; i++) f[side][i] = o.getAtIndex(JvpTest.F, i);
            }
            double[] fd = new double[n * dim];
            for (int i = 0; i < fd.length; i++) fd[i] = (f[0][i] - f[1][i]) / (2 * eps);
            net.forward(x.segment(), t.segment(), labels, n);
            net.jvp(dx.segment(), dt, j.segment(), n);
            JvpTest.assertMatches("unet classes " + classes, j.toArray(), fd, 3e-2);
        }
    }

    /** With dropout, the JVP of a training pass linearises that pass, masks included (as the meanflow objective uses it). */
    @ParameterizedTest
    @CsvSource({"0,2", "3,1"})
    void unetJvpThroughDropoutMasks(int classes, int n) {
        float dt = 0.7f;
        double eps = 2e-3;
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            UNet net = new UNet(new UNetConfig(1, 8, 8, new int[] {4, 8}, 2, 4, classes), conv, pool, ws);
            Rng rng = new Rng(8);
            net.init(rng);
            rng.fillUniform(net.params().values().segment(), net.params().flatSize(), -0.3f, 0.3f);
            net.setDropout(0.2f, 5);
            net.reserve(n);
            int dim = net.dim();
            int[] labels = classes == 0 ? null : new int[] {2};
            Tensor x = ws.tensor(n, dim), dx = ws.tensor(n, dim), t = ws.tensor(n), xp = ws.tensor(n, dim), tp = ws.tensor(n), j = ws.tensor(n, dim);
            Tensor jPlain = ws.tensor(n, dim);
            rng.fillGaussian(x.segment(), x.size(), 1f);
            rng.fillGaussian(dx.segment(), dx.size(), 1f);
            rng.fillUniform(t.segment(), n, 0.2f, 0.8f);
            double[][] f = new double[2][];
            for (int side = 0; side < 2; side++) {
                double s = side == 0 ? eps : -eps;
                for (long i = 0; i < x.size(); i++) xp.segment().setAtIndex(JvpTest.F, i, (float) (x.get(i) + s * dx.get(i)));
                for (int r = 0; r < n; r++) tp.segment().setAtIndex(JvpTest.F, r, (float) (t.get(r) + s * dt));
                net.trainingPass(3, 0);
                MemorySegment o = net.forward(xp.segment(), tp.segment(), labels, n);
                f[side] = new double[n * dim];
                for (int i = 0; i < n * dim; i++) f[side][i] = o.getAtIndex(JvpTest.F, i);
            }
            double[] fd = new double[n * dim];
            for (int i = 0; i < fd.length; i++) fd[i] = (f[0][i] - f[1][i]) / (2 * eps);
            net.forward(x.segment(), t.segment(), labels, n);       // no training pass: no masks
            net.jvp(dx.segment(), dt, jPlain.segment(), n);
            net.trainingPass(3, 0);
            net.forward(x.segment(), t.segment(), labels, n);
            net.jvp(dx.segment(), dt, j.segment(), n);
            JvpTest.assertMatches("unet+dropout classes " + classes, j.toArray(), fd, 3e-2);
            org.junit.jupiter.api.Assertions.assertTrue(j.segment().mismatch(jPlain.segment()) >= 0, "the masks changed no tangent");
        }
    }
}
