package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A U-Net with the mid self-attention block: every gradient and the forward mode against finite differences. */
class UNetAttentionTest {
    static UNetConfig config(int classes, int heads) {
        return new UNetConfig(1, 8, 8, new int[] {4, 8}, 2, 3, classes, 1, heads);
    }

    @ParameterizedTest
    @CsvSource({"0,1", "3,2"})
    void gradientsMatchFiniteDifferences(int classes, int heads) {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            Rng rng = new Rng(17 + heads);
            UNet net = new UNet(config(classes, heads), conv, pool, ws);
            assertTrue(net.params().params().stream().anyMatch(p -> p.name().equals("net.mid_attention.qkv.weight")), "no attention parameters");
            net.init(rng);
            ConvLayersTest.randomize(net.params(), rng);
            int n = 2, dim = net.dim();
            net.reserve(n);
            Tensor x = ConvLayersTest.rand(ws, rng, -1, 1, n, dim), t = ConvLayersTest.rand(ws, rng, 0, 1, n), w = ConvLayersTest.rand(ws, rng, -1, 1, n, dim);
            int[] labels = classes > 0 ? new int[] {1, 3} : null;
            Tensor dx = ws.tensor(n, dim);
            net.forward(x.segment(), t.segment(), labels, n);
            net.backward(w.segment(), dx.segment(), n);
            var loss = (java.util.function.DoubleSupplier) () ->
                    GradCheck.weightedSum(net.forward(x.segment(), t.segment(), labels, n), w.segment(), (long) n * dim);
            for (Param p : net.params().params())
                if (p.name().startsWith("net.mid") || p.name().startsWith("net.up.1") || p.name().startsWith("net.down.0"))
                    GradCheck.check("unet " + p.name(), p.value().segment(), p.grad().segment(), p.size(), 4, loss);
            GradCheck.check("unet x", x.segment(), dx.segment(), x.size(), 24, loss);
        }
    }

    @ParameterizedTest
    @CsvSource({"0,2,2", "3,1,1"})
    void jvpMatchesFiniteDifferences(int classes, int heads, int n) {
        float dt = 0.7f;
        double eps = 2e-3;
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            UNet net = new UNet(config(classes, heads), conv, pool, ws);
            Rng rng = new Rng(9);
            net.init(rng);
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
            JvpTest.assertMatches("unet with attention, classes " + classes, j.toArray(), fd, 3e-2);
        }
    }

    /** The block's parameters follow the mid block's, named as the PyTorch twin's. */
    @org.junit.jupiter.api.Test
    void parameterNamesAndCount() {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(1); JvmConv conv = new JvmConv(pool)) {
            UNet plain = new UNet(config(0, 0), conv, pool, ws), att = new UNet(config(0, 2), conv, pool, ws);
            assertEquals(plain.params().count() + 2 * 8 + (3 * 8 * 8 + 3 * 8) + (8 * 8 + 8), att.params().count());
            var names = att.params().params().stream().map(Param::name).toList();
            int mid = names.indexOf("net.mid.conv2.bias"), first = names.indexOf("net.mid_attention.norm.weight");
            assertTrue(mid >= 0 && first > mid, names.toString());
            assertTrue(names.containsAll(java.util.List.of("net.mid_attention.norm.bias", "net.mid_attention.qkv.weight", "net.mid_attention.qkv.bias",
                    "net.mid_attention.proj.weight", "net.mid_attention.proj.bias")), names.toString());
        }
    }
}
