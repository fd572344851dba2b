package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution on the JVM: per image, im2col into a column buffer col[(c·R + r)·S + s][oh·OW + ow],
 * then one GEMM on the {@link MatMul} (Vector API micro-kernels, rows split over the {@link Pool}):
 * <pre>
 *   forward          y_n[K × OHW]   = W[K × CRS] · col_n[CRS × OHW]   (+ b per row)
 *   backward data    dcol[CRS × OHW] = Wᵀ · dy_n,   then col2im adds dcol into dx_n
 *   backward weights dWᵀ[CRS × K]  += col_n · dy_nᵀ (images in order: results independent of threads)
 * </pre>
 * A 1×1 kernel with stride 1 and no padding skips im2col (col_n is x_n itself). The column
 * buffer grows to the largest shape seen and is then reused: steady state allocates nothing.
 * im2col and col2im are split over the pool by channel rows. One instance serves one caller.
 */
public final class JvmConv implements ConvKernels {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final Pool pool;
    private final MatMul mm;
    private final Arena arena = Arena.ofShared();
    private MemorySegment col = MemorySegment.NULL, wt = MemorySegment.NULL;

    // Arguments of the running im2col/col2im, read by the pool bodies.
    private ConvShape cur;
    private MemorySegment img, cols;
    private final Pool.RangeBody im2colBody = this::im2colRows;
    private final Pool.RangeBody col2imBody = this::col2imChannels;

    public JvmConv(Pool pool) {
        this.pool = pool;
        this.mm = new MatMul(pool);
    }

    private static boolean direct(ConvShape sh) {
        return sh.r() == 1 && sh.s() == 1 && sh.stride() == 1 && sh.pad() == 0;
    }

    private MemorySegment colBuffer(ConvShape sh) {
        long bytes = 4L * sh.c() * sh.r() * sh.s() * sh.outH() * sh.outW();
        if (col.byteSize() < bytes) col = arena.allocate(bytes, 64);
        return col;
    }

    @Override
    public void forward(ConvShape sh, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y) {
        int k = sh.k(), crs = sh.c() * sh.r() * sh.s(), ohw = sh.outH() * sh.outW();
        long xImg = 4L * sh.c() * sh.h() * sh.w(), yImg = 4L * k * ohw;
        for (int n = 0; n < sh.n(); n++) {
            MemorySegment xn = x.asSlice(n * xImg, xImg), yn = y.asSlice(n * yImg, yImg);
            MemorySegment c = direct(sh) ? xn : im2col(sh, xn);
            mm.nn(w, c, yn, k, ohw, crs, false);
            if (!bias.equals(MemorySegment.NULL))
                for (int kk = 0; kk < k; kk++) addScalar(yn, (long) kk * ohw, ohw, bias.getAtIndex(F, kk));
        }
    }

    @Override
    public void backwardData(ConvShape sh, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        int k = sh.k(), crs = sh.c() * sh.r() * sh.s(), ohw = sh.outH() * sh.outW();
        long xImg = 4L * sh.c() * sh.h() * sh.w(), yImg = 4L * k * ohw;
        for (int n = 0; n < sh.n(); n++) {
            MemorySegment dxn = dx.asSlice(n * xImg, xImg), dyn = dy.asSlice(n * yImg, yImg);
            if (direct(sh)) {
                mm.tn(w, dyn, dxn, crs, ohw, k, false);
            } else {
                MemorySegment dcol = colBuffer(sh);
                mm.tn(w, dyn, dcol, crs, ohw, k, false);
                cur = sh;
                img = dxn;
                cols = dcol;
                pool.parallelFor(sh.c(), 1, col2imBody);
            }
        }
    }

    @Override
    public void backwardWeights(ConvShape sh, MemorySegment x, MemorySegment dy, MemorySegment dw, MemorySegment db) {
        int k = sh.k(), crs = sh.c() * sh.r() * sh.s(), ohw = sh.outH() * sh.outW();
        long xImg = 4L * sh.c() * sh.h() * sh.w(), yImg = 4L * k * ohw;
        // dWᵀ[CRS × K] += col_n · dy_nᵀ: CRS rows split well over threads, and only dy (K rows) is packed.
        long wtBytes = 4L * crs * k;
        if (wt.byteSize() < wtBytes) wt = arena.allocate(wtBytes, 64);
        for (int n = 0; n < sh.n(); n++) {
            MemorySegment xn = x.asSlice(n * xImg, xImg), dyn = dy.asSlice(n * yImg, yImg);
            MemorySegment c = direct(sh) ? xn : im2col(sh, xn);
            mm.nt(c, dyn, wt, crs, k, ohw, n > 0);
        }
        for (int kk = 0; kk < k; kk++)
            for (int q = 0; q < crs; q++) dw.setAtIndex(F, (long) kk * crs + q, wt.getAtIndex(F, (long) q * k + kk));
        if (!db.equals(MemorySegment.NULL))
            for (int kk = 0; kk < k; kk++) {
                double acc = 0;
                for (int n = 0; n < sh.n(); n++) acc += sum(dy, n * (yImg / 4) + (long) kk * ohw, ohw);
                db.setAtIndex(F, kk, (float) acc);
            }
    }

    private MemorySegment im2col(ConvShape sh, MemorySegment xn) {
        MemorySegment c = colBuffer(sh);
        cur = sh;
        img = xn;
        cols = c;
        pool.parallelFor(sh.c() * sh.r(), 1, im2colBody);
        return c;
    }

    /** Rows (c, r) in [from, to) of the column buffer: S rows of OH·OW each. */
    private void im2colRows(int from, int to) {
        ConvShape sh = cur;
        MemorySegment x = img, out = cols;
        int hh = sh.h(), ww = sh.w(), R = sh.r(), S = sh.s(), st = sh.stride(), pad = sh.pad();
        int oh = sh.outH(), ow = sh.outW();
        for (int cr = from; cr < to; cr++) {
            int c = cr / R, r = cr % R;
            for (int s = 0; s < S; s++) {
                long row = ((long) cr * S + s) * oh * ow;
                // ow range whose input column iw = ow·st − pad + s lies in [0, W)
                int lo = Math.min(ow, Math.max(0, ceilDiv(pad - s, st))), hi = Math.min(ow, ceilDiv(ww + pad - s, st));
                if (hi < lo) hi = lo;
                for (int i = 0; i < oh; i++) {
                    int ih = i * st - pad + r;
                    long o = row + (long) i * ow;
                    if (ih < 0 || ih >= hh) {
                        out.asSlice(4 * o, 4L * ow).fill((byte) 0);
                        continue;
                    }
                    if (lo > 0) out.asSlice(4 * o, 4L * lo).fill((byte) 0);
                    if (hi < ow) out.asSlice(4 * (o + hi), 4L * (ow - hi)).fill((byte) 0);
                    long xb = ((long) c * hh + ih) * ww - pad + s;
                    if (st == 1) {
                        if (hi > lo) MemorySegment.copy(x, 4 * (xb + lo), out, 4 * (o + lo), 4L * (hi - lo));
                    } else {
                        for (int j = lo; j < hi; j++) out.setAtIndex(F, o + j, x.getAtIndex(F, xb + (long) j * st));
                    }
                }
            }
        }
    }

    /** Channels [from, to) of dx_n = col2im(dcol): overwrite with zero, then add every tap. */
    private void col2imChannels(int from, int to) {
        ConvShape sh = cur;
        MemorySegment dx = img, dcol = cols;
        int hh = sh.h(), ww = sh.w(), R = sh.r(), S = sh.s(), st = sh.stride(), pad = sh.pad();
        int oh = sh.outH(), ow = sh.outW();
        dx.asSlice(4L * from * hh * ww, 4L * (to - from) * hh * ww).fill((byte) 0);
        for (int c = from; c < to; c++)
            for (int r = 0; r < R; r++)
                for (int s = 0; s < S; s++) {
                    long row = (((long) c * R + r) * S + s) * oh * ow;
                    int lo = Math.min(ow, Math.max(0, ceilDiv(pad - s, st))), hi = Math.min(ow, ceilDiv(ww + pad - s, st));
                    for (int i = 0; i < oh; i++) {
                        int ih = i * st - pad + r;
                        if (ih < 0 || ih >= hh) continue;
                        long o = row + (long) i * ow;
                        long xb = ((long) c * hh + ih) * ww - pad + s;
                        if (st == 1) {
                            addInto(dcol, o + lo, dx, xb + lo, hi - lo);
                        } else {
                            for (int j = lo; j < hi; j++) {
                                long d = xb + (long) j * st;
                                dx.setAtIndex(F, d, dx.getAtIndex(F, d) + dcol.getAtIndex(F, o + j));
                            }
                        }
                    }
                }
    }

    /**
     * Σ x[off … off+len) in double, in index order. Scalar on purpose: a vector reduceLanes may add
     * in another order once C2 compiles it, and gradients must not depend on the JIT tier.
     */
    public static double sum(MemorySegment x, long off, int len) {
        double s = 0;
        for (int i = 0; i < len; i++) s += x.getAtIndex(F, off + i);
        return s;
    }

    private static int ceilDiv(int a, int b) { return Math.floorDiv(a + b - 1, b); }

    /** dst[d0 … d0+len) += src[s0 … s0+len). */
    static void addInto(MemorySegment src, long s0, MemorySegment dst, long d0, int len) {
        int i = 0;
        for (int up = len - L; i <= up; i += L) {
            var a = FloatVector.fromMemorySegment(SP, src, 4 * (s0 + i), NO);
            var b = FloatVector.fromMemorySegment(SP, dst, 4 * (d0 + i), NO);
            b.add(a).intoMemorySegment(dst, 4 * (d0 + i), NO);
        }
        for (; i < len; i++) dst.setAtIndex(F, d0 + i, dst.getAtIndex(F, d0 + i) + src.getAtIndex(F, s0 + i));
    }

    /** y[off … off+len) += v. */
    static void addScalar(MemorySegment y, long off, int len, float v) {
        var bv = FloatVector.broadcast(SP, v);
        int i = 0;
        for (int up = len - L; i <= up; i += L)
            FloatVector.fromMemorySegment(SP, y, 4 * (off + i), NO).add(bv).intoMemorySegment(y, 4 * (off + i), NO);
        for (; i < len; i++) y.setAtIndex(F, off + i, y.getAtIndex(F, off + i) + v);
    }

    @Override
    public String name() { return "jvm"; }

    @Override
    public void close() { arena.close(); }
}
