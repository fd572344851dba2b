package dev.panflow.cuda;

import static dev.panflow.cuda.TestGpu.down;
import static dev.panflow.cuda.TestGpu.random;
import static dev.panflow.cuda.TestGpu.relErr;
import static dev.panflow.cuda.TestGpu.up;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.kernels.Adam;
import dev.panflow.kernels.ElementwiseScalar;
import dev.panflow.kernels.GemmScalar;
import dev.panflow.path.AffinePath;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Each CUDA kernel and cuBLAS mapping against the JVM's scalar reference, on ragged sizes. */
class CudaKernelsTest {
    private static final double TOL = 1e-4;

    @Test
    void matmulsInAllThreeLayouts() {
        Gpu g = TestGpu.get();
        Rng rng = new Rng(1);
        try (Arena a = Arena.ofConfined()) {
            int rows = 37, in = 19, out = 23;
            Tensor x = random(a, rng, 1, rows, in), w = random(a, rng, 1, in, out), dy = random(a, rng, 1, rows, out);
            Tensor y = Tensor.allocate(a, rows, out), dw = Tensor.allocate(a, in, out), dx = Tensor.allocate(a, rows, in);
            GemmScalar.nn(x.segment(), w.segment(), y.segment(), rows, out, in, false, 0, rows);
            GemmScalar.tn(x.segment(), dy.segment(), dw.segment(), in, out, rows, false, 0, in);
            GemmScalar.nt(dy.segment(), w.segment(), dx.segment(), rows, in, out, false, 0, rows);
            try (DeviceTensor xd = up(g, x); DeviceTensor wd = up(g, w); DeviceTensor dyd = up(g, dy); DeviceTensor yd = g.allocate(y.size()); DeviceTensor dwd = g.allocate(dw.size()); DeviceTensor dxd = g.allocate(dx.size())) {
                g.matmulNN(xd.ptr, wd.ptr, yd.ptr, rows, out, in, false);
                g.matmulTN(xd.ptr, dyd.ptr, dwd.ptr, in, out, rows);
                g.matmulNT(dyd.ptr, wd.ptr, dxd.ptr, rows, in, out);
                assertTrue(relErr(down(a, yd, y.size()), y, y.size()) < TOL, "x·W");
                assertTrue(relErr(down(a, dwd, dw.size()), dw, dw.size()) < TOL, "xᵀ·dy");
                assertTrue(relErr(down(a, dxd, dx.size()), dx, dx.size()) < TOL, "dy·Wᵀ");
            }
        }
    }

    @Test
    void biasSiluAndBackwardAndSumRows() {
        Gpu g = TestGpu.get();
        Rng rng = new Rng(2);
        try (Arena a = Arena.ofConfined()) {
            int rows = 33, cols = 70;
            long n = (long) rows * cols;
            Tensor y = random(a, rng, 4, rows, cols), b = random(a, rng, 1, cols), dy = random(a, rng, 1, rows, cols);
            Tensor pre = Tensor.allocate(a, rows, cols), post = Tensor.allocate(a, rows, cols), dx = Tensor.allocate(a, rows, cols);
            Tensor sum = Tensor.allocate(a, cols);
            pre.copyFrom(y);
            ElementwiseScalar.addBias(pre.segment(), b.segment(), rows, cols);
            ElementwiseScalar.silu(pre.segment(), post.segment(), n);
            ElementwiseScalar.siluBackward(pre.segment(), dy.segment(), dx.segment(), n);
            ElementwiseScalar.sumRows(dy.segment(), sum.segment(), rows, cols, false);
            try (DeviceTensor yd = up(g, y); DeviceTensor bd = up(g, b); DeviceTensor dyd = up(g, dy); DeviceTensor postd = g.allocate(n); DeviceTensor dxd = g.allocate(n); DeviceTensor ones = g.allocate(rows); DeviceTensor sumd = g.allocate(cols)) {
                g.kernels.biasSilu(yd.ptr, bd.ptr, postd.ptr, rows, cols);
                g.kernels.siluBackward(yd.ptr, dyd.ptr, dxd.ptr, n);
                g.kernels.fill(ones.ptr, 1f, rows);
                g.sumRows(dyd.ptr, ones.ptr, sumd.ptr, rows, cols);
                assertTrue(relErr(down(a, yd, n), pre, n) < TOL, "x + b");
                assertTrue(relErr(down(a, postd, n), post, n) < TOL, "SiLU");
                assertTrue(relErr(down(a, dxd, n), dx, n) < TOL, "SiLU backward");
                assertTrue(relErr(down(a, sumd, cols), sum, cols) < TOL, "Σ rows");
                yd.upload(y);
                g.kernels.addBias(yd.ptr, bd.ptr, rows, cols);
                assertTrue(relErr(down(a, yd, n), pre, n) < TOL, "addBias");
            }
        }
    }

    @Test
    void mseGradAdamEmaAndClip() {
        Gpu g = TestGpu.get();
        Rng rng = new Rng(3);
        try (Arena a = Arena.ofConfined()) {
            int n = 1000 + 13;
            Tensor v = random(a, rng, 2, n), u = random(a, rng, 2, n), grad = Tensor.allocate(a, n);
            double loss = ElementwiseScalar.squaredErrorGrad(v.segment(), u.segment(), grad.segment(), n, 0.25f);
            Tensor p = random(a, rng, 1, n), m = random(a, rng, 0.1f, n), s = random(a, rng, 0.1f, n);
            for (long i = 0; i < n; i++) s.set(i, Math.abs(s.get(i)));
            Tensor avg = random(a, rng, 1, n);
            try (DeviceTensor vd = up(g, v); DeviceTensor ud = up(g, u); DeviceTensor gd = g.allocate(n); DeviceTensor acc = g.allocate(2); DeviceTensor pd = up(g, p); DeviceTensor md = up(g, m); DeviceTensor sd = up(g, s); DeviceTensor avgd = up(g, avg)) {
                g.zero(acc.ptr, 2);
                g.kernels.mseGrad(vd.ptr, ud.ptr, gd.ptr, n, 0.25f, 0.5f, acc.ptr);
                assertTrue(relErr(down(a, gd, n), grad, n) < TOL, "MSE gradient");
                assertEquals(0.5 * loss, down(a, acc, 1).get(0), 1e-4 * loss, "loss sum");
                Adam.step(p.segment(), grad.segment(), m.segment(), s.segment(), n, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, 7);
                g.kernels.adam(pd.ptr, gd.ptr, md.ptr, sd.ptr, n, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, 7);
                assertTrue(relErr(down(a, pd, n), p, n) < TOL, "Adam params");
                assertTrue(relErr(down(a, md, n), m, n) < TOL, "Adam m");
                assertTrue(relErr(down(a, sd, n), s, n) < TOL, "Adam v");
                ElementwiseScalar.ema(avg.segment(), p.segment(), 0.9f, n);
                g.kernels.ema(avgd.ptr, pd.ptr, 0.9f, n);
                assertTrue(relErr(down(a, avgd, n), avg, n) < TOL, "EMA");
                double norm = Math.sqrt(ElementwiseScalar.sumSquares(grad.segment(), n));
                g.kernels.sumSquares(gd.ptr, n, acc.at(1));
                g.kernels.clip(gd.ptr, n, acc.at(1), (float) (norm / 2));
                ElementwiseScalar.scale(grad.segment(), (float) (norm / 2 / norm), grad.segment(), n);
                assertTrue(relErr(down(a, gd, n), grad, n) < TOL, "clipped to half the norm");
                g.kernels.clip(gd.ptr, n, acc.at(1), (float) (norm * 2));
                assertTrue(relErr(down(a, gd, n), grad, n) < TOL, "no clip under the limit");
            }
        }
    }

    @Test
    void linCombWithOneToFourTerms() {
        Gpu g = TestGpu.get();
        Rng rng = new Rng(4);
        try (Arena a = Arena.ofConfined()) {
            int n = 777;
            Tensor x = random(a, rng, 1, n);
            Tensor[] ks = {random(a, rng, 1, n), random(a, rng, 1, n), random(a, rng, 1, n), random(a, rng, 1, n)};
            float[] c = {0.1f, -0.2f, 0.3f, 0.05f};
            try (DeviceTensor xd = up(g, x); DeviceTensor k0 = up(g, ks[0]); DeviceTensor k1 = up(g, ks[1]); DeviceTensor k2 = up(g, ks[2]); DeviceTensor k3 = up(g, ks[3]); DeviceTensor out = g.allocate(n)) {
                long[] kp = {k0.ptr, k1.ptr, k2.ptr, k3.ptr};
                for (int terms = 1; terms <= 4; terms++) {
                    Tensor ref = Tensor.allocate(a, n);
                    ElementwiseScalar.linComb(ref.segment(), x.segment(), c,
                            new MemorySegment[] {ks[0].segment(), ks[1].segment(), ks[2].segment(), ks[3].segment()}, terms, n);
                    g.kernels.linComb(out.ptr, xd.ptr, c, kp, terms, n);
                    assertTrue(relErr(down(a, out, n), ref, n) < TOL, terms + " terms");
                }
            }
        }
    }

    @Test
    void otPathAndTimeEmbedding() {
        Gpu g = TestGpu.get();
        Rng rng = new Rng(5);
        try (Arena a = Arena.ofConfined()) {
            int rows = 41, dim = 3;
            Tensor x0 = random(a, rng, 2, rows, dim), x1 = random(a, rng, 2, rows, dim), t = Tensor.allocate(a, rows);
            rng.fillUniform(t.segment(), rows, 0f, 1f);
            AffinePath path = Paths.byName("ot");
            Tensor xt = Tensor.allocate(a, rows, dim), ut = Tensor.allocate(a, rows, dim);
            path.sample(x0.segment(), x1.segment(), t.segment(), xt.segment(), ut.segment(), rows, dim);
            float sigmaMin = (float) ((dev.panflow.path.CondOtScheduler) path.scheduler()).sigmaMin();
            try (DeviceTensor x0d = up(g, x0); DeviceTensor x1d = up(g, x1); DeviceTensor td = up(g, t); DeviceTensor xtd = g.allocate(xt.size()); DeviceTensor utd = g.allocate(ut.size())) {
                g.kernels.otPath(x0d.ptr, x1d.ptr, td.ptr, xtd.ptr, utd.ptr, rows, dim, sigmaMin);
                assertTrue(relErr(down(a, xtd, xt.size()), xt, xt.size()) < TOL, "x_t");
                assertTrue(relErr(down(a, utd, ut.size()), ut, ut.size()) < TOL, "target");
            }
        }
    }

    @Test
    void randomNumbersHaveTheRightLaws() {
        Gpu g = TestGpu.get();
        try (Arena a = Arena.ofConfined()) {
            int n = 200_001;
            try (DeviceTensor z = g.allocate(n); DeviceTensor t = g.allocate(n); DeviceTensor pool = g.allocate(6); DeviceTensor rows = g.allocate(2 * 5000)) {
                g.kernels.gaussian(z.ptr, n, 9, 1, 2f);
                Tensor zh = down(a, z, n);
                double s = 0, s2 = 0;
                for (int i = 0; i < n; i++) { s += zh.get(i); s2 += zh.get(i) * (double) zh.get(i); }
                assertEquals(0, s / n, 0.03, "mean of 2·N(0,1)");
                assertEquals(4, s2 / n, 0.06, "variance of 2·N(0,1)");
                g.kernels.gaussian(z.ptr, n, 9, 2, 2f);
                assertTrue(down(a, z, 1).get(0) != zh.get(0), "another stream, other numbers");
                for (boolean logit : new boolean[] {false, true}) {
                    g.kernels.time(t.ptr, n, 9, 3, logit, 1f, 1f);
                    Tensor th = down(a, t, n);
                    double m = 0;
                    for (int i = 0; i < n; i++) {
                        assertTrue(th.get(i) >= 0 && th.get(i) < 1, "t in [0, 1)");
                        m += th.get(i);
                    }
                    // uniform: 1/2; logit-normal with location 1: E σ(1 + z) ≈ 0.70
                    assertEquals(logit ? 0.70 : 0.5, m / n, 0.02, logit ? "logit-normal mean" : "uniform mean");
                }
                Tensor p = Tensor.of(a, new float[] {1, 10, 2, 20, 3, 30}, 3, 2);
                pool.upload(p);
                g.kernels.gatherRows(pool.ptr, 3, 2, rows.ptr, 5000, 9, 4);
                Tensor r = down(a, rows, 10000);
                int[] seen = new int[3];
                for (int i = 0; i < 5000; i++) {
                    float c0 = r.get(2L * i), c1 = r.get(2L * i + 1);
                    assertEquals(c0 * 10, c1, "whole rows are copied");
                    seen[(int) c0 - 1]++;
                }
                for (int k : seen) assertEquals(5000 / 3.0, k, 150, "rows drawn uniformly");
            }
        }
    }
}
