package dev.panflow.cuda;

import static dev.panflow.cuda.TestGpu.random;
import static dev.panflow.cuda.TestGpu.relErr;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import dev.panflow.kernels.ConvShape;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * cuDNN convolutions (forward, backward data, backward weights, bias) against a direct
 * reference in double, NCHW / KCRS, with strides, padding and ragged sizes. Needs a GPU and cuDNN.
 */
class CudnnConvTest {
    private static final double TOL = 1e-4;

    /** y[n,k,i,j] = Σ_{c,r,s} x[n,c,i·st−p+r, j·st−p+s]·w[k,c,r,s] + b[k] (zero padding). */
    static void reference(ConvShape sh, Tensor x, Tensor w, Tensor b, Tensor dy, Tensor y, Tensor dx, Tensor dw, Tensor db) {
        int oh = sh.outH(), ow = sh.outW();
        double[] yd = new double[(int) sh.ySize()], dxd = new double[(int) sh.xSize()], dwd = new double[(int) sh.wSize()];
        double[] dbd = new double[sh.k()];
        for (int n = 0; n < sh.n(); n++)
            for (int k = 0; k < sh.k(); k++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        int yi = ((n * sh.k() + k) * oh + i) * ow + j;
                        double s = b.get(k), g = dy.get(yi);
                        dbd[k] += g;
                        for (int c = 0; c < sh.c(); c++)
                            for (int r = 0; r < sh.r(); r++)
                                for (int q = 0; q < sh.s(); q++) {
                                    int hi = i * sh.stride() - sh.pad() + r, wi = j * sh.stride() - sh.pad() + q;
                                    if (hi < 0 || hi >= sh.h() || wi < 0 || wi >= sh.w()) continue;
                                    int xi = ((n * sh.c() + c) * sh.h() + hi) * sh.w() + wi;
                                    int wk = ((k * sh.c() + c) * sh.r() + r) * sh.s() + q;
                                    s += x.get(xi) * (double) w.get(wk);
                                    dxd[xi] += g * w.get(wk);
                                    dwd[wk] += g * x.get(xi);
                                }
                        yd[yi] = s;
                    }
        for (int i = 0; i < yd.length; i++) y.set(i, (float) yd[i]);
        for (int i = 0; i < dxd.length; i++) dx.set(i, (float) dxd[i]);
        for (int i = 0; i < dwd.length; i++) dw.set(i, (float) dwd[i]);
        for (int i = 0; i < dbd.length; i++) db.set(i, (float) dbd[i]);
    }

    @Test
    void agreesWithTheDirectConvolution() {
        Gpu g = TestGpu.get();
        CudnnConvKernels conv;
        try {
            conv = CudnnConvKernels.on(g, null);
        } catch (UserError e) {
            System.out.println("cuDNN tests skipped: " + e.getMessage());
            Assumptions.abort("no cuDNN: " + e.getMessage());
            return;
        }
        Rng rng = new Rng(21);
        ConvShape[] shapes = {
            new ConvShape(2, 3, 9, 7, 5, 3, 3, 1, 1),
            new ConvShape(3, 4, 8, 8, 6, 3, 3, 2, 1),
            new ConvShape(1, 5, 6, 5, 7, 1, 1, 1, 0),
            new ConvShape(2, 2, 11, 10, 3, 4, 4, 2, 1),
        };
        try (conv; Arena a = Arena.ofConfined()) {
            for (ConvShape sh : shapes) {
                Tensor x = random(a, rng, 1, (int) sh.xSize()), w = random(a, rng, 1, (int) sh.wSize());
                Tensor b = random(a, rng, 1, sh.k()), dy = random(a, rng, 1, (int) sh.ySize());
                Tensor y = Tensor.allocate(a, (int) sh.ySize()), dx = Tensor.allocate(a, (int) sh.xSize());
                Tensor dw = Tensor.allocate(a, (int) sh.wSize()), db = Tensor.allocate(a, sh.k());
                reference(sh, x, w, b, dy, y, dx, dw, db);
                Tensor gy = TestGpu.poisoned(a, (int) sh.ySize()), gdx = TestGpu.poisoned(a, (int) sh.xSize());
                Tensor gdw = TestGpu.poisoned(a, (int) sh.wSize()), gdb = TestGpu.poisoned(a, sh.k());
                conv.forward(sh, x.segment(), w.segment(), b.segment(), gy.segment());
                conv.backwardData(sh, dy.segment(), w.segment(), gdx.segment());
                conv.backwardWeights(sh, x.segment(), dy.segment(), gdw.segment(), gdb.segment());
                assertTrue(relErr(gy, y, y.size()) < TOL, sh + " forward " + relErr(gy, y, y.size()));
                assertTrue(relErr(gdx, dx, dx.size()) < TOL, sh + " backward data " + relErr(gdx, dx, dx.size()));
                assertTrue(relErr(gdw, dw, dw.size()) < TOL, sh + " backward weights " + relErr(gdw, dw, dw.size()));
                assertTrue(relErr(gdb, db, db.size()) < TOL, sh + " bias gradient");
                // no bias: y − b
                conv.forward(sh, x.segment(), w.segment(), MemorySegment.NULL, gy.segment());
                int per = sh.outH() * sh.outW();
                for (long i = 0; i < y.size(); i++) y.set(i, y.get(i) - b.get((int) (i / per % sh.k())));
                assertTrue(relErr(gy, y, y.size()) < TOL, sh + " forward without bias");
            }
        }
    }
}
