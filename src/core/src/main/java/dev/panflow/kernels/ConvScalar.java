package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Plain-loop convolution, the reference every other {@link ConvKernels} is tested against:
 * y[n,k,oh,ow] = b[k] + Σ_{c,r,s} w[k,c,r,s] · x[n,c,oh·stride − pad + r, ow·stride − pad + s]
 * (out-of-range x is zero). Sums are accumulated in double.
 */
public final class ConvScalar implements ConvKernels {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public void forward(ConvShape sh, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y) {
        int oh = sh.outH(), ow = sh.outW();
        for (int n = 0; n < sh.n(); n++)
            for (int k = 0; k < sh.k(); k++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++) {
                        double acc = bias.equals(MemorySegment.NULL) ? 0 : bias.getAtIndex(F, k);
                        for (int c = 0; c < sh.c(); c++)
                            for (int r = 0; r < sh.r(); r++) {
                                int ih = i * sh.stride() - sh.pad() + r;
                                if (ih < 0 || ih >= sh.h()) continue;
                                for (int s = 0; s < sh.s(); s++) {
                                    int iw = j * sh.stride() - sh.pad() + s;
                                    if (iw < 0 || iw >= sh.w()) continue;
                                    acc += (double) w.getAtIndex(F, wIndex(sh, k, c, r, s)) * x.getAtIndex(F, xIndex(sh, n, c, ih, iw));
                                }
                            }
                        y.setAtIndex(F, (((long) n * sh.k() + k) * oh + i) * ow + j, (float) acc);
                    }
    }

    @Override
    public void backwardData(ConvShape sh, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        int oh = sh.outH(), ow = sh.outW();
        for (int n = 0; n < sh.n(); n++)
            for (int c = 0; c < sh.c(); c++)
                for (int ih = 0; ih < sh.h(); ih++)
                    for (int iw = 0; iw < sh.w(); iw++) {
                        double acc = 0;
                        for (int r = 0; r < sh.r(); r++) {
                            int ti = ih + sh.pad() - r;
                            if (ti < 0 || ti % sh.stride() != 0 || ti / sh.stride() >= oh) continue;
                            for (int s = 0; s < sh.s(); s++) {
                                int tj = iw + sh.pad() - s;
                                if (tj < 0 || tj % sh.stride() != 0 || tj / sh.stride() >= ow) continue;
                                for (int k = 0; k < sh.k(); k++)
                                    acc += (double) w.getAtIndex(F, wIndex(sh, k, c, r, s))
                                            * dy.getAtIndex(F, (((long) n * sh.k() + k) * oh + ti / sh.stride()) * ow + tj / sh.stride());
                            }
                        }
                        dx.setAtIndex(F, xIndex(sh, n, c, ih, iw), (float) acc);
                    }
    }

    @Override
    public void backwardWeights(ConvShape sh, MemorySegment x, MemorySegment dy, MemorySegment dw, MemorySegment db) {
        int oh = sh.outH(), ow = sh.outW();
        for (int k = 0; k < sh.k(); k++) {
            for (int c = 0; c < sh.c(); c++)
                for (int r = 0; r < sh.r(); r++)
                    for (int s = 0; s < sh.s(); s++) {
                        double acc = 0;
                        for (int n = 0; n < sh.n(); n++)
                            for (int i = 0; i < oh; i++) {
                                int ih = i * sh.stride() - sh.pad() + r;
                                if (ih < 0 || ih >= sh.h()) continue;
                                for (int j = 0; j < ow; j++) {
                                    int iw = j * sh.stride() - sh.pad() + s;
                                    if (iw < 0 || iw >= sh.w()) continue;
                                    acc += (double) dy.getAtIndex(F, (((long) n * sh.k() + k) * oh + i) * ow + j)
                                            * x.getAtIndex(F, xIndex(sh, n, c, ih, iw));
                                }
                            }
                        dw.setAtIndex(F, wIndex(sh, k, c, r, s), (float) acc);
                    }
            if (!db.equals(MemorySegment.NULL)) {
                double acc = 0;
                for (int n = 0; n < sh.n(); n++)
                    for (long p = 0, base = ((long) n * sh.k() + k) * oh * ow; p < (long) oh * ow; p++) acc += dy.getAtIndex(F, base + p);
                db.setAtIndex(F, k, (float) acc);
            }
        }
    }

    private static long xIndex(ConvShape sh, int n, int c, int ih, int iw) {
        return (((long) n * sh.c() + c) * sh.h() + ih) * sh.w() + iw;
    }

    private static long wIndex(ConvShape sh, int k, int c, int r, int s) {
        return (((long) k * sh.c() + c) * sh.r() + r) * sh.s() + s;
    }

    @Override
    public String name() { return "scalar"; }
}
