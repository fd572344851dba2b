package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution on the JVM. 3×3 layers with a few output channels run in {@link NarrowConv}; other
 * shapes {@link DirectConv} handles (all but huge images, and stride-1
 * backward data with pad > R−1; with 256-bit vectors also strided backward data and most
 * weight gradients) run there, without im2col; the rest as follows.
 * For a group of G images at a time, im2col into a column buffer
 * col[(c·R + r)·S + s][image·P + oh·OW + ow] (P = OH·OW, images side by side, G·P ≈ 1024 columns
 * so small images still make wide GEMMs), then one GEMM on the {@link MatMul} (Vector API
 * micro-kernels, rows split over the {@link Pool}):
 * <pre>
 *   forward          Y[K × G·P]     = W[K × CRS] · col[CRS × G·P], scattered to NCHW (+ b)
 *   backward data    dcol[CRS × G·P] = Wᵀ · dY (dy gathered K-major), then col2im adds into dx
 *   backward weights dWᵀ[CRS × K]  += col · dYᵀ (groups in order: results independent of threads)
 * </pre>
 * G depends on the shape only. Buffers grow to the largest shape seen and are then reused.
 * im2col and col2im are split over the pool by channel rows. One instance serves one caller.
 */
public final class JvmConv implements ConvKernels {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final Pool pool;
    private final MatMul mm;
    private final DirectConv direct;
    /** A U-Net's few-channel output layer: faster on one thread than the others on the pool (bench/README). */
    private final NarrowConv narrow = new NarrowConv();
    private final Arena arena = Arena.ofShared();
    private MemorySegment col = MemorySegment.NULL, tmp = MemorySegment.NULL, wt = MemorySegment.NULL;

    // Arguments of the running im2col/col2im, read by the pool bodies.
    private ConvShape cur;
    private MemorySegment img, cols;
    private int n0, group, ld;
    private final Pool.RangeBody im2colBody = this::im2colRows;
    private final Pool.RangeBody col2imBody = this::col2imChannels;

    public JvmConv(Pool pool) {
        this(pool, true);
    }

    /** {@code direct = false}: im2col + GEMM for every shape (tests of the fallback path). */
    JvmConv(Pool pool, boolean direct) {
        this.pool = pool;
        this.mm = new MatMul(pool);
        this.direct = direct ? new DirectConv(pool) : null;
    }

    /** Images per GEMM: enough that G·OH·OW columns keep the micro-kernels busy (a function of the shape only). */
    static int group(ConvShape sh) {
        int p = sh.outH() * sh.outW();
        return Math.max(1, Math.min(sh.n(), (COLUMNS + p - 1) / p));
    }

    private static final int COLUMNS = 1024;

    private void buffers(ConvShape sh, int g) {
        long p = (long) sh.outH() * sh.outW() * g;
        long colBytes = 4L * sh.c() * sh.r() * sh.s() * p, tmpBytes = 4L * sh.k() * p;
        if (col.byteSize() < colBytes) col = arena.allocate(colBytes, 64);
        if (tmp.byteSize() < tmpBytes) tmp = arena.allocate(tmpBytes, 64);
    }

    @Override
    public void forward(ConvShape sh, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y) {
        if (direct != null && NarrowConv.handles(sh)) {
            narrow.forward(sh, x, w, bias, y);
            return;
        }
        if (direct != null && DirectConv.handles(sh)) {
            direct.forward(sh, x, w, bias, y);
            return;
        }
        int k = sh.k(), crs = sh.c() * sh.r() * sh.s(), p = sh.outH() * sh.outW(), G = group(sh);
        buffers(sh, G);
        for (int first = 0; first < sh.n(); first += G) {
            int g = Math.min(G, sh.n() - first), cols = g * p;
            im2col(sh, x, first, g, cols);
            mm.nn(w, col, tmp, k, cols, crs, false);          // tmp[K × g·P]
            for (int i = 0; i < g; i++)
                for (int kk = 0; kk < k; kk++) {
                    long dst = ((long) (first + i) * k + kk) * p;
                    MemorySegment.copy(tmp, 4L * ((long) kk * cols + (long) i * p), y, 4L * dst, 4L * p);
                    if (!bias.equals(MemorySegment.NULL)) addScalar(y, dst, p, bias.getAtIndex(F, kk));
                }
        }
    }

    /** tmp[K × g·P] ← dy of images first … first+g−1 (K-major, images side by side). */
    private void gather(ConvShape sh, MemorySegment dy, int first, int g) {
        int k = sh.k(), p = sh.outH() * sh.outW(), cols = g * p;
        for (int i = 0; i < g; i++)
            for (int kk = 0; kk < k; kk++)
                MemorySegment.copy(dy, 4L * (((long) (first + i) * k + kk) * p), tmp, 4L * ((long) kk * cols + (long) i * p), 4L * p);
    }

    @Override
    public void backwardData(ConvShape sh, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        if (direct != null && NarrowConv.handles(sh)) {
            narrow.backwardData(sh, dy, w, dx);
            return;
        }
        if (direct != null && DirectConv.handlesBackwardData(sh)) {
            direct.backwardData(sh, dy, w, dx);
            return;
        }
        int k = sh.k(), crs = sh.c() * sh.r() * sh.s(), p = sh.outH() * sh.outW(), G = group(sh);
        buffers(sh, G);
        for (int first = 0; first < sh.n(); first += G) {
            int g = Math.min(G, sh.n() - first), cols = g * p;
            gather(sh, dy, first, g);
            mm.tn(w, tmp, col, crs, cols, k, false);           // dcol[CRS × g·P] = Wᵀ·dy
            cur = sh;
            img = dx;
            this.cols = col;
            n0 = first;
            group = g;
            ld = cols;
            pool.parallelFor(sh.c(), 1, col2imBody);
        }
    }

    @Override
    public void backwardWeights(ConvShape sh, MemorySegment x, MemorySegment dy, MemorySegment dw, MemorySegment db) {
        if (direct != null && NarrowConv.handles(sh)) {
            narrow.backwardWeights(sh, x, dy, dw, db);
            return;
        }
        int k = sh.k(), crs = sh.c() * sh.r() * sh.s(), p = sh.outH() * sh.outW(), G = group(sh);
        if (direct != null && DirectConv.prefersWeights(sh)) {
            direct.backwardWeights(sh, x, dy, dw);
            biasGrad(sh, dy, db);
            return;
        }
        buffers(sh, G);
        // dWᵀ[CRS × K] += col · dyᵀ: CRS rows split well over threads, and only dy (K rows) is packed.
        long wtBytes = 4L * crs * k;
        if (wt.byteSize() < wtBytes) wt = arena.allocate(wtBytes, 64);
        for (int first = 0; first < sh.n(); first += G) {
            int g = Math.min(G, sh.n() - first), cols = g * p;
            im2col(sh, x, first, g, cols);
            gather(sh, dy, first, g);
            mm.nt(col, tmp, wt, crs, k, cols, first > 0);
        }
        for (int kk = 0; kk < k; kk++)
            for (int q = 0; q < crs; q++) dw.setAtIndex(F, (long) kk * crs + q, wt.getAtIndex(F, (long) q * k + kk));
        biasGrad(sh, dy, db);
    }

    private static void biasGrad(ConvShape sh, MemorySegment dy, MemorySegment db) {
        int k = sh.k(), p = sh.outH() * sh.outW();
        long yImg = (long) k * p;
        if (!db.equals(MemorySegment.NULL))
            for (int kk = 0; kk < k; kk++) {
                double acc = 0;
                for (int n = 0; n < sh.n(); n++) acc += sum(dy, n * yImg + (long) kk * p, p);
                db.setAtIndex(F, kk, (float) acc);
            }
    }

    private void im2col(ConvShape sh, MemorySegment x, int first, int g, int cols) {
        cur = sh;
        img = x;
        this.cols = col;
        n0 = first;
        group = g;
        ld = cols;
        pool.parallelFor(sh.c() * sh.r(), 1, im2colBody);
    }

    /** Rows (c, r) in [from, to) of the column buffer: S rows of g·OH·OW each (images side by side). */
    private void im2colRows(int from, int to) {
        ConvShape sh = cur;
        MemorySegment x = img, out = cols;
        int hh = sh.h(), ww = sh.w(), R = sh.r(), S = sh.s(), st = sh.stride(), pad = sh.pad(), C = sh.c();
        int oh = sh.outH(), ow = sh.outW(), g = group, first = n0;
        long lds = ld, p = (long) oh * ow;
        for (int cr = from; cr < to; cr++) {
            int c = cr / R, r = cr % R;
            for (int s = 0; s < S; s++) {
                int lo = Math.min(ow, Math.max(0, ceilDiv(pad - s, st))), hi = Math.min(ow, ceilDiv(ww + pad - s, st));
                if (hi < lo) hi = lo;
                for (int im = 0; im < g; im++) {
                    long row = ((long) cr * S + s) * lds + im * p;
                    long xImg = ((long) (first + im) * C + c) * hh;
                    for (int i = 0; i < oh; i++) {
                        int ih = i * st - pad + r;
                        long o = row + (long) i * ow;
                        if (ih < 0 || ih >= hh) {
                            zero(out, 4 * o, 4L * ow);
                            continue;
                        }
                        if (lo > 0) zero(out, 4 * o, 4L * lo);
                        if (hi < ow) zero(out, 4 * (o + hi), 4L * (ow - hi));
                        long xb = (xImg + ih) * ww - pad + s;
                        if (st == 1) {
                            if (hi > lo) MemorySegment.copy(x, 4 * (xb + lo), out, 4 * (o + lo), 4L * (hi - lo));
                        } else {
                            for (int j = lo; j < hi; j++) out.setAtIndex(F, o + j, x.getAtIndex(F, xb + (long) j * st));
                        }
                    }
                }
            }
        }
    }

    /** Channels [from, to) of dx for the group's images = col2im(dcol): overwrite with zero, then add every tap. */
    private void col2imChannels(int from, int to) {
        ConvShape sh = cur;
        MemorySegment dx = img, dcol = cols;
        int hh = sh.h(), ww = sh.w(), R = sh.r(), S = sh.s(), st = sh.stride(), pad = sh.pad(), C = sh.c();
        int oh = sh.outH(), ow = sh.outW(), g = group, first = n0;
        long lds = ld, p = (long) oh * ow;
        for (int im = 0; im < g; im++) {
            long xImg = (long) (first + im) * C;
            zero(dx, 4L * (xImg + from) * hh * ww, 4L * (to - from) * hh * ww);
            for (int c = from; c < to; c++)
                for (int r = 0; r < R; r++)
                    for (int s = 0; s < S; s++) {
                        long row = (((long) c * R + r) * S + s) * lds + im * p;
                        int lo = Math.min(ow, Math.max(0, ceilDiv(pad - s, st))), hi = Math.min(ow, ceilDiv(ww + pad - s, st));
                        for (int i = 0; i < oh; i++) {
                            int ih = i * st - pad + r;
                            if (ih < 0 || ih >= hh) continue;
                            long o = row + (long) i * ow;
                            long xb = ((xImg + c) * hh + ih) * ww - pad + s;
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

    private static final MemorySegment ZEROS = Arena.global().allocate(4096, 64);

    /** Zeroes bytes [off, off+len) of s by copies from a zero block: asSlice(..).fill allocated a slice per call in the steady state. */
    private static void zero(MemorySegment s, long off, long len) {
        for (long end = off + len; off < end; off += 4096) MemorySegment.copy(ZEROS, 0, s, off, Math.min(4096, end - off));
    }

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
    public void close() {
        narrow.close();
        arena.close();
    }
}
