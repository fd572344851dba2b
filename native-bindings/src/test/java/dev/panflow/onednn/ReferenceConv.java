package dev.panflow.onednn;

import dev.panflow.kernels.ConvShape;

/** The convolution by its definition, plain loops in double: the tests' ground truth for oneDNN. */
final class ReferenceConv {
    private ReferenceConv() {}

    /** y[n,k,p,q] = b[k] + Σ_{c,r,s} x[n,c,p·stride+r−pad, q·stride+s−pad] · w[k,c,r,s] (zero outside x). */
    static double[] forward(ConvShape sh, float[] x, float[] w, float[] b) {
        int oh = sh.outH(), ow = sh.outW();
        double[] y = new double[(int) sh.ySize()];
        for (int n = 0; n < sh.n(); n++)
            for (int k = 0; k < sh.k(); k++)
                for (int p = 0; p < oh; p++)
                    for (int q = 0; q < ow; q++) {
                        double acc = b == null ? 0 : b[k];
                        for (int c = 0; c < sh.c(); c++)
                            for (int r = 0; r < sh.r(); r++)
                                for (int s = 0; s < sh.s(); s++) {
                                    int i = p * sh.stride() + r - sh.pad(), j = q * sh.stride() + s - sh.pad();
                                    if (i < 0 || i >= sh.h() || j < 0 || j >= sh.w()) continue;
                                    acc += (double) x[xi(sh, n, c, i, j)] * w[wi(sh, k, c, r, s)];
                                }
                        y[yi(sh, n, k, p, q)] = acc;
                    }
        return y;
    }

    /** dx = ∂L/∂x: each dy[n,k,p,q] flows back to the inputs it read, weighted by w. */
    static double[] backwardData(ConvShape sh, float[] dy, float[] w) {
        double[] dx = new double[(int) sh.xSize()];
        forEachTap(sh, (n, k, p, q, c, r, s, i, j) ->
                dx[xi(sh, n, c, i, j)] += (double) dy[yi(sh, n, k, p, q)] * w[wi(sh, k, c, r, s)]);
        return dx;
    }

    /** dw = ∂L/∂w = Σ dy·x over batch and output positions. */
    static double[] backwardWeights(ConvShape sh, float[] x, float[] dy) {
        double[] dw = new double[(int) sh.wSize()];
        forEachTap(sh, (n, k, p, q, c, r, s, i, j) ->
                dw[wi(sh, k, c, r, s)] += (double) dy[yi(sh, n, k, p, q)] * x[xi(sh, n, c, i, j)]);
        return dw;
    }

    /** db[k] = Σ dy[n,k,·,·]. */
    static double[] backwardBias(ConvShape sh, float[] dy) {
        double[] db = new double[sh.k()];
        int hw = sh.outH() * sh.outW();
        for (int n = 0; n < sh.n(); n++)
            for (int k = 0; k < sh.k(); k++)
                for (int t = 0; t < hw; t++) db[k] += dy[(n * sh.k() + k) * hw + t];
        return db;
    }

    private interface Tap {
        void at(int n, int k, int p, int q, int c, int r, int s, int i, int j);
    }

    private static void forEachTap(ConvShape sh, Tap tap) {
        for (int n = 0; n < sh.n(); n++)
            for (int k = 0; k < sh.k(); k++)
                for (int p = 0; p < sh.outH(); p++)
                    for (int q = 0; q < sh.outW(); q++)
                        for (int c = 0; c < sh.c(); c++)
                            for (int r = 0; r < sh.r(); r++)
                                for (int s = 0; s < sh.s(); s++) {
                                    int i = p * sh.stride() + r - sh.pad(), j = q * sh.stride() + s - sh.pad();
                                    if (i >= 0 && i < sh.h() && j >= 0 && j < sh.w()) tap.at(n, k, p, q, c, r, s, i, j);
                                }
    }

    static int xi(ConvShape sh, int n, int c, int i, int j) { return ((n * sh.c() + c) * sh.h() + i) * sh.w() + j; }
    static int wi(ConvShape sh, int k, int c, int r, int s) { return ((k * sh.c() + c) * sh.r() + r) * sh.s() + s; }
    static int yi(ConvShape sh, int n, int k, int p, int q) { return ((n * sh.k() + k) * sh.outH() + p) * sh.outW() + q; }
}
