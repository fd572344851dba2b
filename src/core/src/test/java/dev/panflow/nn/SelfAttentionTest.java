package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The U-Net's self-attention block: finite-difference checks of backward and jvp, identity at init, thread independence. */
class SelfAttentionTest {
    @ParameterizedTest
    @CsvSource({"2,8,1,3,5,4", "2,8,2,3,5,2", "1,6,3,2,2,3", "3,4,1,1,1,2"})
    void backwardMatchesFiniteDifferences(int n, int c, int heads, int h, int w, int groups) {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            Rng rng = new Rng(11 + heads);
            ParamStore ps = new ParamStore();
            SelfAttention2d att = new SelfAttention2d(ps, conv, pool, "att", c, heads, h, w, groups);
            ps.allocate(ws.arena());
            att.init(rng);
            ConvLayersTest.randomize(ps, rng);
            // larger q, k weights: peaked attention, so the softmax's curvature is exercised
            rng.fillUniform(ps.params().stream().filter(p -> p.name().equals("att.qkv.weight")).findFirst().orElseThrow().value().segment(),
                    3L * c * c, -1.2f, 1.2f);
            att.reserve(ws, n);
            int t = h * w;
            Tensor x = ConvLayersTest.rand(ws, rng, -1, 1, n, c, t), wt = ConvLayersTest.rand(ws, rng, -1, 1, n, c, t), dx = ws.tensor(n, c, t);
            att.forward(x.segment(), n);
            att.backward(x.segment(), wt.segment(), dx.segment(), n);
            var loss = (java.util.function.DoubleSupplier) () -> GradCheck.weightedSum(att.forward(x.segment(), n), wt.segment(), (long) n * c * t);
            for (Param p : ps.params()) GradCheck.check("attention " + p.name(), p.value().segment(), p.grad().segment(), p.size(), 24, loss);
            GradCheck.check("attention x", x.segment(), dx.segment(), x.size(), 40, loss);
        }
    }

    @ParameterizedTest
    @CsvSource({"2,8,1,3,5", "2,8,2,3,5", "1,6,3,2,3"})
    void jvpMatchesFiniteDifferences(int n, int c, int heads, int h, int w) {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            Rng rng = new Rng(21 + heads);
            ParamStore ps = new ParamStore();
            SelfAttention2d att = new SelfAttention2d(ps, conv, pool, "att", c, heads, h, w, 2);
            ps.allocate(ws.arena());
            att.init(rng);
            ConvLayersTest.randomize(ps, rng);
            att.reserve(ws, n);
            long size = (long) n * c * h * w;
            Tensor x = ws.tensor((int) size), dx = ws.tensor((int) size), y = ws.tensor((int) size), j = ws.tensor((int) size);
            rng.fillGaussian(x.segment(), size, 1f);
            rng.fillGaussian(dx.segment(), size, 1f);
            double[] fd = ConvLayersJvpTest.centralDiff(ws, x, dx, size, (in, out) -> MemorySegment.copy(att.forward(in, n), 0, out, 0, 4 * size));
            att.forward(x.segment(), n);   // the pass jvp differentiates
            att.jvp(x.segment(), dx.segment(), j.segment(), n);
            JvpTest.assertMatches("attention", j.toArray(), fd, 2e-2);
        }
    }

    /** The block computes its definition: a direct double-precision evaluation (GN, q/k/v, softmax(qᵀk/√d), v·Pᵀ, proj, residual) agrees. */
    @ParameterizedTest
    @CsvSource({"2,8,2,3,5,4", "1,6,3,2,2,3", "1,4,1,4,4,1"})
    void forwardMatchesTheDefinition(int n, int c, int heads, int h, int w, int groups) {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            Rng rng = new Rng(41 + c);
            ParamStore ps = new ParamStore();
            SelfAttention2d att = new SelfAttention2d(ps, conv, pool, "att", c, heads, h, w, groups);
            ps.allocate(ws.arena());
            att.init(rng);
            ConvLayersTest.randomize(ps, rng);
            att.reserve(ws, n);
            int t = h * w, d = c / heads, cg = c / groups;
            Tensor x = ConvLayersTest.rand(ws, rng, -2, 2, n, c, t);
            MemorySegment y = att.forward(x.segment(), n);
            java.util.function.Function<String, float[]> param = name ->
                    ps.params().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow().value().toArray();
            float[] gamma = param.apply("att.norm.weight"), beta = param.apply("att.norm.bias"), wq = param.apply("att.qkv.weight"),
                    bq = param.apply("att.qkv.bias"), wp = param.apply("att.proj.weight"), bp = param.apply("att.proj.bias");
            for (int i = 0; i < n; i++) {
                double[][] a = new double[c][t];
                for (int g = 0; g < groups; g++) {
                    double s = 0, ss = 0;
                    for (int ch = g * cg; ch < (g + 1) * cg; ch++)
                        for (int p = 0; p < t; p++) s += x.get((i * c + ch) * t + p);
                    double mu = s / (cg * t);
                    for (int ch = g * cg; ch < (g + 1) * cg; ch++)
                        for (int p = 0; p < t; p++) ss += Math.pow(x.get((i * c + ch) * t + p) - mu, 2);
                    double sd = Math.sqrt(ss / (cg * t) + 1e-5);
                    for (int ch = g * cg; ch < (g + 1) * cg; ch++)
                        for (int p = 0; p < t; p++) a[ch][p] = gamma[ch] * (x.get((i * c + ch) * t + p) - mu) / sd + beta[ch];
                }
                double[][] qkv = new double[3 * c][t];
                for (int o = 0; o < 3 * c; o++)
                    for (int p = 0; p < t; p++) {
                        double v = bq[o];
                        for (int ch = 0; ch < c; ch++) v += wq[o * c + ch] * a[ch][p];
                        qkv[o][p] = v;
                    }
                double[][] o = new double[c][t];
                for (int hd = 0; hd < heads; hd++)
                    for (int p = 0; p < t; p++) {
                        double[] sc = new double[t];
                        double mx = Double.NEGATIVE_INFINITY, z = 0;
                        for (int r = 0; r < t; r++) {
                            for (int e = 0; e < d; e++) sc[r] += qkv[hd * d + e][p] * qkv[c + hd * d + e][r];
                            sc[r] /= Math.sqrt(d);
                            mx = Math.max(mx, sc[r]);
                        }
                        for (int r = 0; r < t; r++) z += sc[r] = Math.exp(sc[r] - mx);
                        for (int e = 0; e < d; e++)
                            for (int r = 0; r < t; r++) o[hd * d + e][p] += sc[r] / z * qkv[2 * c + hd * d + e][r];
                    }
                for (int ch = 0; ch < c; ch++)
                    for (int p = 0; p < t; p++) {
                        double want = x.get((i * c + ch) * t + p) + bp[ch];
                        for (int e = 0; e < c; e++) want += wp[ch * c + e] * o[e][p];
                        float got = y.getAtIndex(GradCheck.F32, (long) (i * c + ch) * t + p);
                        assertEquals(want, got, 1e-4 * (1 + Math.abs(want)), "image " + i + " channel " + ch + " position " + p);
                    }
            }
        }
    }

    /** proj starts at zero: a fresh block passes its input through unchanged, and its weights still get gradients. */
    @Test
    void freshBlockIsTheIdentity() {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(1); JvmConv conv = new JvmConv(pool)) {
            Rng rng = new Rng(3);
            ParamStore ps = new ParamStore();
            SelfAttention2d att = new SelfAttention2d(ps, conv, pool, "att", 8, 2, 4, 4, 4);
            ps.allocate(ws.arena());
            att.init(rng);
            att.reserve(ws, 2);
            Tensor x = ConvLayersTest.rand(ws, rng, -1, 1, 2, 8, 16), g = ConvLayersTest.rand(ws, rng, -1, 1, 2, 8, 16), dx = ws.tensor(2, 8, 16);
            MemorySegment y = att.forward(x.segment(), 2);
            assertEquals(-1L, y.asSlice(0, 4L * x.size()).mismatch(x.segment().asSlice(0, 4L * x.size())), "a fresh block changed its input");
            att.backward(x.segment(), g.segment(), dx.segment(), 2);
            Param projW = ps.params().stream().filter(p -> p.name().equals("att.proj.weight")).findFirst().orElseThrow();
            assertTrue(Math.sqrt(dev.panflow.kernels.Elementwise.sumSquares(projW.grad().segment(), projW.size())) > 1e-3, "proj gets no gradient");
            // every attention row is a distribution
            MemorySegment p = att.weights();
            for (int r = 0; r < 2 * 2 * 16; r++) {
                double s = 0;
                for (int jj = 0; jj < 16; jj++) s += p.getAtIndex(GradCheck.F32, (long) r * 16 + jj);
                assertEquals(1, s, 1e-5, "row " + r);
            }
        }
    }

    /** One thread or two: the same bits in the output, dL/dx, every gradient and the tangent. */
    @Test
    void resultsAreIndependentOfThreads() {
        int n = 4, c = 16, heads = 2, h = 7, w = 7, t = h * w;
        long size = (long) n * c * t;
        float[][] runs = new float[2][];
        for (int threads = 1; threads <= 2; threads++)
            try (Workspace ws = new Workspace(); Pool pool = new Pool(threads); JvmConv conv = new JvmConv(pool)) {
                Rng rng = new Rng(5);
                ParamStore ps = new ParamStore();
                SelfAttention2d att = new SelfAttention2d(ps, conv, pool, "att", c, heads, h, w, 4);
                ps.allocate(ws.arena());
                att.init(rng);
                ConvLayersTest.randomize(ps, rng);
                att.reserve(ws, n);
                Tensor x = ConvLayersTest.rand(ws, rng, -1, 1, n, c, t), g = ConvLayersTest.rand(ws, rng, -1, 1, n, c, t);
                Tensor tx = ConvLayersTest.rand(ws, rng, -1, 1, n, c, t), dx = ws.tensor(n, c, t), j = ws.tensor(n, c, t);
                MemorySegment y = att.forward(x.segment(), n);
                float[] out = new float[(int) (3 * size + ps.flatSize())];
                for (int i = 0; i < size; i++) out[i] = y.getAtIndex(GradCheck.F32, i);
                att.jvp(x.segment(), tx.segment(), j.segment(), n);
                att.backward(x.segment(), g.segment(), dx.segment(), n);
                for (int i = 0; i < size; i++) {
                    out[(int) size + i] = dx.get(i);
                    out[(int) (2 * size) + i] = j.get(i);
                }
                MemorySegment grads = ps.grads().segment();
                for (long i = 0; i < ps.flatSize(); i++) out[(int) (3 * size + i)] = grads.getAtIndex(GradCheck.F32, i);
                runs[threads - 1] = out;
            }
        for (int i = 0; i < runs[0].length; i++)
            assertEquals(Float.floatToRawIntBits(runs[0][i]), Float.floatToRawIntBits(runs[1][i]), "value " + i + " differs with 2 threads");
    }
}
