package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution without im2col ("shifted planes"): each image is copied once into a zero-padded
 * plane per channel (Hp × Wp) and outputs are computed on the padded width, at q = oh·Wp + ow, so
 * tap (c, r, s) of every output is the same padded plane read at the fixed shift
 * c·plane + r·Wp + s. A tap is then one contiguous vector load for a run of outputs: the im2col
 * matrix is never written, and the columns ow ≥ OW are garbage that is not copied out. Stride st
 * splits each padded plane into st×st phase planes (rows ≡ a, columns ≡ b mod st) of
 * ⌈Hp/st⌉ × ⌈Wp/st⌉: tap (c, r, s) reads phase (r mod st, s mod st) at shift (r/st, s/st), so
 * strided convolutions are shifted-plane convolutions too.
 * <pre>
 *   forward          y  = Σ_taps w · shifted x (groups of stacked images split over the pool)
 *   backward data    dx = the same with dy padded by R−1−pad and w flipped, C and K swapped;
 *                    strided: one such pass per phase of dx, with the taps that reach it
 *   backward weights dw[k][tap] = Σ_images Σ_q dy[k][q] · x[tap shift + q]: x broadcast against
 *                    vectors of dyᵀ, or (few channels) vector partial sums over q; blocks of
 *                    (channels, taps) split over the pool, images in order
 * </pre>
 * Every output is computed the same way whichever thread gets it: results do not depend on the
 * pool size. Heap arrays (C2 keeps kernels over them in registers) grow to the largest shape
 * seen and are reused: no allocation in steady state. One instance serves one caller.
 */
final class DirectConv {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    /** Output tiles: 4 channels × 4 or 6 vectors, 8 × 3 (16 or 24 accumulators; AVX-512 has 32 registers). */
    static final int KT = 4, TQ = 4 * L, TQ6 = 6 * L, TQ3 = 3 * L;
    /**
     * The forward tiles {@link #tile}, {@link #tile6}, {@link #tile83}: channels, outputs, and time
     * per output lane relative to the first (ConvBench, 28×28 32→32 at AVX-512: fewer x loads per
     * fma run faster; the choice in setup also counts the lanes and channels each one wastes).
     */
    private static final int[] TILE_K = {KT, KT, 2 * KT}, TILE_Q = {TQ, TQ6, TQ3};
    private static final double[] TILE_COST = {1.0, 0.87, 0.78};
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Per-thread padded image and output tile rows (backward weights: a chunk of padded images and of dy). */
    private static final class Scratch {
        float[] x = new float[0], out = new float[0], stage = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final Pool pool;
    // Packed weights [outC/KT][taps][KT], padded bias, tap shifts; dw's vector partial sums.
    private float[] wp = new float[0], bias = new float[KT];
    private int[] offs = new int[0];
    private float[] acc = new float[0];

    // Arguments of the running pass, read by the pool bodies.
    private MemorySegment src, dst;
    private int inC, inH, inW, padH, padW, R, S, outC, outCp, taps;
    private int st, wpad, oh, ow, q, qp, plane, xLen, rowsPerImage, group, nImagesRun;
    /** Forward tile of the pass (index into TILE_*) and its channels. */
    private int shape, ktile = KT;
    private final Pool.RangeBody imagesBody = this::images;
    private final Pool.RangeBody dwBody = this::dwBlocks;

    DirectConv(Pool pool) { this.pool = pool; }

    /** Padded floats per image (input and output), past which im2col's fixed-size groups are used instead. */
    private static final long MAX_IMAGE = 1L << 26;

    private static long imageFloats(ConvShape sh) {
        long st = sh.stride(), hp = sh.h() + 2L * sh.pad() + st, wp = sh.w() + 2L * sh.pad() + st;
        return sh.c() * hp * wp + (long) sh.k() * sh.outH() * (wp / st + 1) + 4096;
    }

    /** Whether forward and backward weights run here (any stride; images of sane size). */
    static boolean handles(ConvShape sh) {
        return imageFloats(sh) < MAX_IMAGE;
    }

    /** Backward data: at stride 1 its flipped padding R−1−pad must be ≥ 0; strided ones go phase by phase. */
    static boolean handlesBackwardData(ConvShape sh) {
        return (sh.stride() > 1 ? WIDE_REGISTERS : sh.pad() <= sh.r() - 1 && sh.pad() <= sh.s() - 1) && handles(sh);
    }

    /**
     * 512-bit vectors, so 32 vector registers: the tiles are sized for them. With 256-bit ones
     * (16 registers, -XX:UseAVX=2) ConvBench found im2col + GEMM faster for strided backward data
     * and for the weights' outer-product path, so {@link JvmConv} keeps those there.
     */
    static final boolean WIDE_REGISTERS = L >= 16;

    /** Whether backward weights should run here rather than by im2col (see {@link #WIDE_REGISTERS}). */
    static boolean prefersWeights(ConvShape sh) {
        return handles(sh) && (WIDE_REGISTERS || !outerProducts(sh.k(), sh.c() * sh.r() * sh.s()));
    }

    /** The weights' outer-product path: K fills two vectors and there are taps enough to pay for dyᵀ. */
    private static boolean outerProducts(int k, int taps) {
        return k >= 2 * L && taps >= 8 * 6;
    }

    void forward(ConvShape sh, MemorySegment x, MemorySegment w, MemorySegment b, MemorySegment y) {
        int k = sh.k(), c = sh.c(), rs = sh.r() * sh.s(), crs = c * rs;
        setup(sh.c(), sh.h(), sh.w(), sh.pad(), sh.pad(), sh.r(), sh.s(), k, sh.stride(), sh.n(), true);
        float[] p = wp;
        for (int kk = 0; kk < outCp; kk++)
            for (int t = 0; t < crs; t++)
                p[((kk / ktile) * crs + t) * ktile + kk % ktile] = kk < k ? w.getAtIndex(F, (long) kk * crs + t) : 0f;
        for (int kk = 0; kk < outCp; kk++) bias[kk] = kk < k && !b.equals(MemorySegment.NULL) ? b.getAtIndex(F, kk) : 0f;
        run(x, sh.n(), y);
    }

    /** The pass set up by forward/backwardData, over all n images of in into out. */
    private void run(MemorySegment in, int n, MemorySegment out) {
        nImagesRun = n;
        src = in;
        dst = out;
        pool.parallelFor((n + group - 1) / group, 1, imagesBody);
        src = dst = null;
    }

    void backwardData(ConvShape sh, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        if (sh.stride() > 1) {
            backwardDataStrided(sh, dy, w, dx);
            return;
        }
        int k = sh.k(), c = sh.c(), R0 = sh.r(), S0 = sh.s(), rs = R0 * S0, krs = k * rs;
        // dx = conv(dy padded by R−1−pad, w'), w'[c][k][r][s] = w[k][c][R−1−r][S−1−s].
        setup(k, sh.outH(), sh.outW(), R0 - 1 - sh.pad(), S0 - 1 - sh.pad(), R0, S0, c, 1, sh.n(), true);
        float[] p = wp;
        for (int cc = 0; cc < outCp; cc++)
            for (int kk = 0; kk < k; kk++)
                for (int r = 0; r < R0; r++)
                    for (int s = 0; s < S0; s++) {
                        int t = (kk * R0 + r) * S0 + s;
                        p[((cc / ktile) * krs + t) * ktile + cc % ktile] =
                                cc < c ? w.getAtIndex(F, ((long) kk * c + cc) * rs + (long) (R0 - 1 - r) * S0 + (S0 - 1 - s)) : 0f;
                    }
        java.util.Arrays.fill(bias, 0, outCp, 0f);
        run(dy, sh.n(), dx);
    }

    /**
     * Backward data at stride st > 1, phase by phase: dx rows ih with (ih + pad) mod st = a only
     * see taps r ≡ a (mod st), so each of the st² phases (a, b) of dx is a stride-1 pass over dy
     * with the flipped sub-kernel w[k][c][a + st·m][b + st·n], its outputs scattered to dx.
     */
    void backwardDataStrided(ConvShape sh, MemorySegment dy, MemorySegment w, MemorySegment dx) {
        int k = sh.k(), c = sh.c(), R0 = sh.r(), S0 = sh.s(), st0 = sh.stride(), pad = sh.pad(), rs = R0 * S0;
        int oh0 = sh.outH(), ow0 = sh.outW();
        for (int a = 0; a < st0; a++)
            for (int b = 0; b < st0; b++) {
                int ma = (R0 - a + st0 - 1) / st0, nb = (S0 - b + st0 - 1) / st0;
                int u0 = Math.floorDiv(pad - a + st0 - 1, st0), uc = Math.floorDiv(sh.h() - 1 + pad - a, st0) - u0 + 1;
                int v0 = Math.floorDiv(pad - b + st0 - 1, st0), vc = Math.floorDiv(sh.w() - 1 + pad - b, st0) - v0 + 1;
                if (uc <= 0 || vc <= 0) continue;
                if (ma == 0 || nb == 0) {            // no tap reaches this phase
                    for (int n = 0; n < sh.n(); n++)
                        for (int cc = 0; cc < c; cc++)
                            for (int i = 0; i < uc; i++)
                                for (int j = 0; j < vc; j++)
                                    dx.setAtIndex(F, (((long) n * c + cc) * sh.h() + st0 * (u0 + i) + a - pad) * sh.w() + st0 * (v0 + j) + b - pad, 0f);
                    continue;
                }
                // Output o reads dy rows o − top + m; a symmetric pad P ≥ top shifts it to o + P − top.
                int top = ma - 1 - u0, left = nb - 1 - v0;
                int ph = Math.max(0, Math.max(top, uc + ma - 1 - top - oh0)), pw = Math.max(0, Math.max(left, vc + nb - 1 - left - ow0));
                setup(k, oh0, ow0, ph, pw, ma, nb, c, 1, sh.n(), true);
                int krs = k * ma * nb;
                float[] p = wp;
                for (int cc = 0; cc < outCp; cc++)
                    for (int kk = 0; kk < k; kk++)
                        for (int m = 0; m < ma; m++)
                            for (int n = 0; n < nb; n++) {
                                int t = (kk * ma + m) * nb + n;
                                p[((cc / ktile) * krs + t) * ktile + cc % ktile] = cc < c ? w.getAtIndex(F,
                                        ((long) kk * c + cc) * rs + (long) (a + st0 * (ma - 1 - m)) * S0 + b + st0 * (nb - 1 - n)) : 0f;
                            }
                java.util.Arrays.fill(bias, 0, outCp, 0f);
                phaseOut = true;
                phSt = st0; phA = a - pad + st0 * u0; phB = b - pad + st0 * v0; phUc = uc; phVc = vc;
                phOffH = ph - top; phOffW = pw - left; dxH = sh.h(); dxW = sh.w();
                try {
                    run(dy, sh.n(), dx);
                } finally {
                    phaseOut = false;
                }
            }
    }

    // Phase scatter of backwardDataStrided: output (o, v) → dx row phSt·o + phA, column phSt·v + phB.
    private boolean phaseOut;
    private int phSt, phA, phB, phUc, phVc, phOffH, phOffW, dxH, dxW;

    /** Output positions per group at most: bounds the per-thread buffers. */
    private static final int MAX_GROUP_Q = 4096;

    /**
     * Geometry of a pass: input inC×inH×inW padded by (ph, pw), R×S taps, oc outputs, stride str,
     * n images. At stride 1 the zero columns between rows are shared (row width W + max(pw, 2pw−S+1)
     * rather than W + 2pw: fewer garbage outputs). With {@code stack} G images are stacked into
     * one tall plane per channel (at stride 1 sharing zero rows likewise), G and the tile width
     * chosen to waste the fewest lanes: a 14×14 image alone fills 210 of 256 outputs of 64-wide
     * tiles, four fill 885 of 896.
     */
    private void setup(int ic, int ih, int iw, int ph, int pw, int r, int s, int oc, int str, int n, boolean stack) {
        inC = ic; inH = ih; inW = iw; padH = ph; padW = pw; R = r; S = s; outC = oc; st = str;
        int hp = ih + 2 * ph, wp0 = iw + 2 * pw;
        oh = (hp - r) / str + 1; ow = (wp0 - s) / str + 1;
        if (str == 1) {
            wpad = iw + Math.max(pw, 2 * pw - s + 1);
            rowsPerImage = ih + Math.max(ph, 2 * ph - r + 1);
        } else {
            wpad = (wp0 + str - 1) / str;                  // a phase plane's row width and rows
            rowsPerImage = (hp + str - 1) / str;
        }
        group = 1;
        shape = 0;
        double best = Double.MAX_VALUE;
        int maxG = stack ? Math.max(1, Math.min(n / 2, 64)) : 1;
        for (int g = 1; g <= maxG; g++) {
            int qg = ((g - 1) * rowsPerImage + oh) * wpad;
            if (g > 1 && qg > MAX_GROUP_Q) break;
            for (int v = 0; v < (stack ? 3 : 1); v++) {
                int t = TILE_Q[v], kc = (oc + TILE_K[v] - 1) / TILE_K[v] * TILE_K[v];
                // Per image: lanes computed × channels computed, at the tile's measured relative cost.
                double cost = (double) ((qg + t - 1) / t * t) * kc * TILE_COST[v] / g;
                if (cost < best) { best = cost; group = g; shape = v; }
            }
        }
        ktile = TILE_K[shape];
        outCp = (oc + ktile - 1) / ktile * ktile;
        plane = ((group - 1) * rowsPerImage + (hp + str - 1) / str + 1) * wpad;
        q = ((group - 1) * rowsPerImage + oh) * wpad;
        int t = TILE_Q[shape];
        qp = (q + t - 1) / t * t;
        taps = ic * r * s;
        // Reads reach the last tap's shift plus a whole tile.
        xLen = ic * str * str * plane + qp + TQ6;
        if (wp.length < outCp * taps) wp = new float[outCp * taps];
        if (bias.length < outCp) bias = new float[outCp];
        if (offs.length < taps) offs = new int[taps];
        for (int c = 0, tp = 0; c < ic; c++)
            for (int rr = 0; rr < r; rr++)
                for (int ss = 0; ss < s; ss++) offs[tp++] = ((c * str + rr % str) * str + ss % str) * plane + rr / str * wpad + ss / str;
    }

    /**
     * x[base … base+xLen) ← images n0 … n0+gn−1 of src (inC planes of inH×inW), zero-padded,
     * stacked rowsPerImage rows apart in one plane per channel (per phase plane at stride > 1).
     */
    private void pad(MemorySegment in, int n0, int gn, float[] x, int base) {
        java.util.Arrays.fill(x, base, base + xLen, 0f);
        int str = st, hw = inH * inW;
        Scratch sc = SCRATCH.get();
        if (sc.stage.length < hw) sc.stage = new float[hw];
        float[] stage = sc.stage;
        for (int g = 0; g < gn; g++) {
            long img = (long) (n0 + g) * inC * hw;
            for (int c = 0; c < inC; c++) {
                // One bulk copy per channel, then rows array to array: a segment copy per short
                // row (7 floats at 7×7) cost more than the row.
                MemorySegment.copy(in, F, 4 * (img + (long) c * hw), stage, 0, hw);
                for (int i = 0; i < inH; i++) {
                    if (str == 1) {
                        System.arraycopy(stage, i * inW, x, base + c * plane + (g * rowsPerImage + i + padH) * wpad + padW, inW);
                        continue;
                    }
                    int ph = i + padH, rowBase = base + (c * str + ph % str) * str * plane + (g * rowsPerImage + ph / str) * wpad;
                    for (int b = 0; b < str; b++) {
                        int j0 = Math.floorMod(b - padW, str), d = rowBase + b * plane + (j0 + padW) / str;
                        for (int j = j0, si = i * inW + j0; j < inW; j += str, si += str, d++) x[d] = stage[si];
                    }
                }
            }
        }
    }

    /** Groups of images [from, to): pad, all output tiles, copy the valid outputs out. */
    private void images(int from, int to) {
        Scratch s = SCRATCH.get();
        if (s.x.length < xLen) s.x = new float[xLen];
        if (s.out.length < outCp * qp) s.out = new float[outCp * qp];
        if (s.stage.length < Math.max(oh * ow, inH * inW)) s.stage = new float[Math.max(oh * ow, inH * inW)];
        float[] x = s.x, out = s.out, p = wp, b = bias, stage = s.stage;
        int[] o = offs;
        int nt = taps, cp = outCp, qq = qp, oc = outC, h = oh, w = ow, ld = wpad, G = group, rows = rowsPerImage, n = nImagesRun;
        long yImg = (long) oc * h * w;
        for (int grp = from; grp < to; grp++) {
            int n0 = grp * G, gn = Math.min(G, n - n0);
            pad(src, n0, gn, x, 0);
            if (shape == 1)
                for (int q0 = 0; q0 < qq; q0 += TQ6)
                    for (int kt = 0; kt < cp; kt += KT)
                        tile6(x, q0, o, nt, p, kt * nt, b, kt, out, kt * qq + q0, qq);
            else if (shape == 2)
                for (int q0 = 0; q0 < qq; q0 += TQ3)
                    for (int kt = 0; kt < cp; kt += 2 * KT)
                        tile83(x, q0, o, nt, p, kt * nt, b, kt, out, kt * qq + q0, qq);
            else
                for (int q0 = 0; q0 < qq; q0 += TQ)
                    for (int kt = 0; kt < cp; kt += KT)
                        tile(x, q0, o, nt, p, kt * nt, b, kt, out, kt * qq + q0, qq);
            if (phaseOut) {
                scatterPhase(out, qq, ld, rows, n0, gn);
                continue;
            }
            for (int g = 0; g < gn; g++)
                for (int k = 0; k < oc; k++) {      // rows gathered, then one bulk copy per channel
                    for (int i = 0; i < h; i++) System.arraycopy(out, k * qq + (g * rows + i) * ld, stage, i * w, w);
                    MemorySegment.copy(stage, 0, dst, F, 4 * ((n0 + g) * yImg + (long) k * h * w), h * w);
                }
        }
    }

    private void scatterPhase(float[] out, int qq, int ld, int rows, int n0, int gn) {
        int oc = outC, st0 = phSt, hh = dxH, ww = dxW;
        for (int g = 0; g < gn; g++)
            for (int c = 0; c < oc; c++) {
                long img = ((long) (n0 + g) * oc + c) * hh * ww;
                for (int o = 0; o < phUc; o++) {
                    int src = c * qq + (g * rows + o + phOffH) * ld + phOffW;
                    long d = img + (long) (st0 * o + phA) * ww + phB;
                    for (int v = 0; v < phVc; v++, d += st0) dst.setAtIndex(F, d, out[src + v]);
                }
            }
    }

    /**
     * out[oo + kk·ld + j] = b[bo + kk] + Σ_t p[po + t·KT + kk] · x[xo + o[t] + j], for kk < KT,
     * j < TQ: one fma per tap in tap order.
     */
    private static void tile(float[] x, int xo, int[] o, int nt, float[] p, int po, float[] b, int bo, float[] out, int oo, int ld) {
        FloatVector a00 = FloatVector.broadcast(SP, b[bo]), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = FloatVector.broadcast(SP, b[bo + 1]), a11 = a10, a12 = a10, a13 = a10;
        FloatVector a20 = FloatVector.broadcast(SP, b[bo + 2]), a21 = a20, a22 = a20, a23 = a20;
        FloatVector a30 = FloatVector.broadcast(SP, b[bo + 3]), a31 = a30, a32 = a30, a33 = a30;
        for (int t = 0; t < nt; t++) {
            int xi = xo + o[t], pi = po + t * KT;
            FloatVector x0 = FloatVector.fromArray(SP, x, xi), x1 = FloatVector.fromArray(SP, x, xi + L);
            FloatVector x2 = FloatVector.fromArray(SP, x, xi + 2 * L), x3 = FloatVector.fromArray(SP, x, xi + 3 * L);
            FloatVector v = FloatVector.broadcast(SP, p[pi]);
            a00 = v.fma(x0, a00); a01 = v.fma(x1, a01); a02 = v.fma(x2, a02); a03 = v.fma(x3, a03);
            v = FloatVector.broadcast(SP, p[pi + 1]);
            a10 = v.fma(x0, a10); a11 = v.fma(x1, a11); a12 = v.fma(x2, a12); a13 = v.fma(x3, a13);
            v = FloatVector.broadcast(SP, p[pi + 2]);
            a20 = v.fma(x0, a20); a21 = v.fma(x1, a21); a22 = v.fma(x2, a22); a23 = v.fma(x3, a23);
            v = FloatVector.broadcast(SP, p[pi + 3]);
            a30 = v.fma(x0, a30); a31 = v.fma(x1, a31); a32 = v.fma(x2, a32); a33 = v.fma(x3, a33);
        }
        a00.intoArray(out, oo); a01.intoArray(out, oo + L); a02.intoArray(out, oo + 2 * L); a03.intoArray(out, oo + 3 * L);
        oo += ld;
        a10.intoArray(out, oo); a11.intoArray(out, oo + L); a12.intoArray(out, oo + 2 * L); a13.intoArray(out, oo + 3 * L);
        oo += ld;
        a20.intoArray(out, oo); a21.intoArray(out, oo + L); a22.intoArray(out, oo + 2 * L); a23.intoArray(out, oo + 3 * L);
        oo += ld;
        a30.intoArray(out, oo); a31.intoArray(out, oo + L); a32.intoArray(out, oo + 2 * L); a33.intoArray(out, oo + 3 * L);
    }

    /** {@link #tile} over 6 vectors of outputs (24 accumulators), for long rows of outputs. */
    private static void tile6(float[] x, int xo, int[] o, int nt, float[] p, int po, float[] b, int bo, float[] out, int oo, int ld) {
        FloatVector a00 = FloatVector.broadcast(SP, b[bo + 0]), a01 = a00, a02 = a00, a03 = a00, a04 = a00, a05 = a00;
        FloatVector a10 = FloatVector.broadcast(SP, b[bo + 1]), a11 = a10, a12 = a10, a13 = a10, a14 = a10, a15 = a10;
        FloatVector a20 = FloatVector.broadcast(SP, b[bo + 2]), a21 = a20, a22 = a20, a23 = a20, a24 = a20, a25 = a20;
        FloatVector a30 = FloatVector.broadcast(SP, b[bo + 3]), a31 = a30, a32 = a30, a33 = a30, a34 = a30, a35 = a30;
        for (int t = 0; t < nt; t++) {
            int xi = xo + o[t], pi = po + t * KT;
            FloatVector x0 = FloatVector.fromArray(SP, x, xi + 0 * L);
            FloatVector x1 = FloatVector.fromArray(SP, x, xi + 1 * L);
            FloatVector x2 = FloatVector.fromArray(SP, x, xi + 2 * L);
            FloatVector x3 = FloatVector.fromArray(SP, x, xi + 3 * L);
            FloatVector x4 = FloatVector.fromArray(SP, x, xi + 4 * L);
            FloatVector x5 = FloatVector.fromArray(SP, x, xi + 5 * L);
            FloatVector v = FloatVector.broadcast(SP, p[pi + 0]);
            a00 = v.fma(x0, a00); a01 = v.fma(x1, a01); a02 = v.fma(x2, a02); a03 = v.fma(x3, a03); a04 = v.fma(x4, a04); a05 = v.fma(x5, a05);
            v = FloatVector.broadcast(SP, p[pi + 1]);
            a10 = v.fma(x0, a10); a11 = v.fma(x1, a11); a12 = v.fma(x2, a12); a13 = v.fma(x3, a13); a14 = v.fma(x4, a14); a15 = v.fma(x5, a15);
            v = FloatVector.broadcast(SP, p[pi + 2]);
            a20 = v.fma(x0, a20); a21 = v.fma(x1, a21); a22 = v.fma(x2, a22); a23 = v.fma(x3, a23); a24 = v.fma(x4, a24); a25 = v.fma(x5, a25);
            v = FloatVector.broadcast(SP, p[pi + 3]);
            a30 = v.fma(x0, a30); a31 = v.fma(x1, a31); a32 = v.fma(x2, a32); a33 = v.fma(x3, a33); a34 = v.fma(x4, a34); a35 = v.fma(x5, a35);
        }
        a00.intoArray(out, oo + 0 * L); a01.intoArray(out, oo + 1 * L); a02.intoArray(out, oo + 2 * L); a03.intoArray(out, oo + 3 * L); a04.intoArray(out, oo + 4 * L); a05.intoArray(out, oo + 5 * L);
        oo += ld;
        a10.intoArray(out, oo + 0 * L); a11.intoArray(out, oo + 1 * L); a12.intoArray(out, oo + 2 * L); a13.intoArray(out, oo + 3 * L); a14.intoArray(out, oo + 4 * L); a15.intoArray(out, oo + 5 * L);
        oo += ld;
        a20.intoArray(out, oo + 0 * L); a21.intoArray(out, oo + 1 * L); a22.intoArray(out, oo + 2 * L); a23.intoArray(out, oo + 3 * L); a24.intoArray(out, oo + 4 * L); a25.intoArray(out, oo + 5 * L);
        oo += ld;
        a30.intoArray(out, oo + 0 * L); a31.intoArray(out, oo + 1 * L); a32.intoArray(out, oo + 2 * L); a33.intoArray(out, oo + 3 * L); a34.intoArray(out, oo + 4 * L); a35.intoArray(out, oo + 5 * L);
    }

    /** {@link #tile} over 8 channels × 3 vectors (24 accumulators): half the x loads per fma of {@link #tile6}. */
    private static void tile83(float[] x, int xo, int[] o, int nt, float[] p, int po, float[] b, int bo, float[] out, int oo, int ld) {
        FloatVector a00 = FloatVector.broadcast(SP, b[bo + 0]), a01 = a00, a02 = a00;
        FloatVector a10 = FloatVector.broadcast(SP, b[bo + 1]), a11 = a10, a12 = a10;
        FloatVector a20 = FloatVector.broadcast(SP, b[bo + 2]), a21 = a20, a22 = a20;
        FloatVector a30 = FloatVector.broadcast(SP, b[bo + 3]), a31 = a30, a32 = a30;
        FloatVector a40 = FloatVector.broadcast(SP, b[bo + 4]), a41 = a40, a42 = a40;
        FloatVector a50 = FloatVector.broadcast(SP, b[bo + 5]), a51 = a50, a52 = a50;
        FloatVector a60 = FloatVector.broadcast(SP, b[bo + 6]), a61 = a60, a62 = a60;
        FloatVector a70 = FloatVector.broadcast(SP, b[bo + 7]), a71 = a70, a72 = a70;
        for (int t = 0; t < nt; t++) {
            int xi = xo + o[t], pi = po + t * 2 * KT;
            FloatVector x0 = FloatVector.fromArray(SP, x, xi + 0 * L);
            FloatVector x1 = FloatVector.fromArray(SP, x, xi + 1 * L);
            FloatVector x2 = FloatVector.fromArray(SP, x, xi + 2 * L);
            FloatVector v = FloatVector.broadcast(SP, p[pi + 0]);
            a00 = v.fma(x0, a00); a01 = v.fma(x1, a01); a02 = v.fma(x2, a02);
            v = FloatVector.broadcast(SP, p[pi + 1]);
            a10 = v.fma(x0, a10); a11 = v.fma(x1, a11); a12 = v.fma(x2, a12);
            v = FloatVector.broadcast(SP, p[pi + 2]);
            a20 = v.fma(x0, a20); a21 = v.fma(x1, a21); a22 = v.fma(x2, a22);
            v = FloatVector.broadcast(SP, p[pi + 3]);
            a30 = v.fma(x0, a30); a31 = v.fma(x1, a31); a32 = v.fma(x2, a32);
            v = FloatVector.broadcast(SP, p[pi + 4]);
            a40 = v.fma(x0, a40); a41 = v.fma(x1, a41); a42 = v.fma(x2, a42);
            v = FloatVector.broadcast(SP, p[pi + 5]);
            a50 = v.fma(x0, a50); a51 = v.fma(x1, a51); a52 = v.fma(x2, a52);
            v = FloatVector.broadcast(SP, p[pi + 6]);
            a60 = v.fma(x0, a60); a61 = v.fma(x1, a61); a62 = v.fma(x2, a62);
            v = FloatVector.broadcast(SP, p[pi + 7]);
            a70 = v.fma(x0, a70); a71 = v.fma(x1, a71); a72 = v.fma(x2, a72);
        }
        a00.intoArray(out, oo + 0 * L); a01.intoArray(out, oo + 1 * L); a02.intoArray(out, oo + 2 * L);
        oo += ld;
        a10.intoArray(out, oo + 0 * L); a11.intoArray(out, oo + 1 * L); a12.intoArray(out, oo + 2 * L);
        oo += ld;
        a20.intoArray(out, oo + 0 * L); a21.intoArray(out, oo + 1 * L); a22.intoArray(out, oo + 2 * L);
        oo += ld;
        a30.intoArray(out, oo + 0 * L); a31.intoArray(out, oo + 1 * L); a32.intoArray(out, oo + 2 * L);
        oo += ld;
        a40.intoArray(out, oo + 0 * L); a41.intoArray(out, oo + 1 * L); a42.intoArray(out, oo + 2 * L);
        oo += ld;
        a50.intoArray(out, oo + 0 * L); a51.intoArray(out, oo + 1 * L); a52.intoArray(out, oo + 2 * L);
        oo += ld;
        a60.intoArray(out, oo + 0 * L); a61.intoArray(out, oo + 1 * L); a62.intoArray(out, oo + 2 * L);
        oo += ld;
        a70.intoArray(out, oo + 0 * L); a71.intoArray(out, oo + 1 * L); a72.intoArray(out, oo + 2 * L);
    }

    // ---- backward weights ----

    /** Taps per dw block: KT channels × WT taps = 24 vector partial sums (32 zmm registers hold them and a row of loads). */
    static final int WT = 6;
    private int dyLen, dyQ, kdim, tapsP, blocks, nImages;
    private MemorySegment dyArg;

    /** dw[k][c][r][s] = Σ_n Σ_(oh,ow) dy[n][k][oh][ow] · xpad[n][c][oh+r][ow+s]. */
    void backwardWeights(ConvShape sh, MemorySegment x, MemorySegment dy, MemorySegment dw) {
        int n = sh.n(), k = sh.k();
        setup(sh.c(), sh.h(), sh.w(), sh.pad(), sh.pad(), sh.r(), sh.s(), k, sh.stride(), n, false);
        kdim = k;
        src = x;
        dyArg = dy;
        nImages = n;
        if (outerProducts(k, taps)) {              // else dyᵀ costs more than it saves (the input layer)
            weightsTransposed(dw);
            src = dyArg = null;
            return;
        }
        dyQ = (q + L - 1) / L * L;                   // reduction length per image, whole vectors
        dyLen = outCp * dyQ;
        tapsP = (taps + WT - 1) / WT * WT;           // extra taps read shift 0 and are dropped
        if (offs.length < tapsP) offs = java.util.Arrays.copyOf(offs, tapsP);
        java.util.Arrays.fill(offs, taps, tapsP, 0);
        xLen = inC * st * st * plane + dyQ + L;
        blocks = outCp / KT * (tapsP / WT);
        int accLen = blocks * KT * WT * L;
        if (acc.length < accLen) acc = new float[accLen];
        src = x;
        dyArg = dy;
        nImages = n;
        pool.parallelFor(blocks, 1, dwBody);
        int tb = tapsP / WT;
        float[] a = acc;
        for (int kk = 0; kk < k; kk++)
            for (int t = 0; t < taps; t++) {
                int base = (((kk / KT) * tb + t / WT) * KT * WT + (kk % KT) * WT + t % WT) * L;
                float sum = 0;
                for (int l = 0; l < L; l++) sum += a[base + l];    // lane order: fixed
                dw.setAtIndex(F, (long) kk * taps + t, sum);
            }
        src = dyArg = null;
    }

    // ---- backward weights, many channels: dw as outer products, no horizontal sums ----

    /**
     * Blocks of 2 vectors of channels × 6 taps: 12 partial sums. (24, as 4×6 or 2×12, ran at half
     * the speed: the taps' offsets no longer fit the general registers, and dyᵀ for 4 vectors per
     * position doubles the loads per broadcast.)
     */
    private static final int kvT = 2, tT = 6;
    /** Channels padded to whole vector pairs; dyᵀ floats per image. */
    private int kpT, dtLen;
    private final Pool.RangeBody dwtBody = this::dwtBlocks;

    /**
     * dw[k][tap] = Σ_images Σ_(oh,ow) x[tap shift + oh·Wp + ow] · dyᵀ[oh·OW + ow][k]: each x value
     * is broadcast against vectors of K (dy transposed per image, valid outputs only, so no garbage
     * lanes), 12 vector partial sums per block of taps × channels, each lane one dw element: no
     * reduction across lanes. Fewer and unsplit loads per fma than the lane-sum form; used when K
     * fills at least two vectors and taps are many.
     */
    private void weightsTransposed(MemorySegment dw) {
        int k = kdim;
        kpT = (k + 2 * L - 1) / (2 * L) * (2 * L);
        tapsP = (taps + tT - 1) / tT * tT;
        if (offs.length < tapsP) offs = java.util.Arrays.copyOf(offs, tapsP);
        java.util.Arrays.fill(offs, taps, tapsP, 0);
        dtLen = oh * ow * kpT;
        xLen = inC * st * st * plane;
        int tg = tapsP / tT;
        blocks = kpT / (kvT * L) * tg;
        int accLen = blocks * 12 * L;
        if (acc.length < accLen) acc = new float[accLen];
        pool.parallelFor(blocks, 1, dwtBody);
        float[] a = acc;
        int kb = kvT * L;
        for (int kk = 0; kk < k; kk++)
            for (int t = 0; t < taps; t++)
                dw.setAtIndex(F, (long) kk * taps + t, a[(((kk / kb) * tg + t / tT) * tT + t % tT) * kb + kk % kb]);
    }

    /** dw blocks [from, to) of {@link #weightsTransposed}, over L2-sized chunks of images as {@link #dwBlocks}. */
    private void dwtBlocks(int from, int to) {
        int n = nImages, xl = xLen, dl = dtLen, kp = kpT, k = kdim, p = oh * ow;
        int chunk = Math.max(1, Math.min(n, CHUNK_FLOATS / (xl + dl)));
        Scratch sc = SCRATCH.get();
        if (sc.x.length < chunk * xl) sc.x = new float[chunk * xl];
        if (sc.out.length < chunk * dl) sc.out = new float[chunk * dl];
        if (sc.stage.length < Math.max(p, inH * inW)) sc.stage = new float[Math.max(p, inH * inW)];   // pad() stages input planes too
        float[] x = sc.x, d = sc.out, stage = sc.stage;
        java.util.Arrays.fill(acc, from * 12 * L, to * 12 * L, 0f);
        for (int i0 = 0; i0 < n; i0 += chunk) {
            int cn = Math.min(chunk, n - i0);
            for (int img = 0; img < cn; img++) {
                pad(src, i0 + img, 1, x, img * xl);
                int base = img * dl;
                if (kp > k) java.util.Arrays.fill(d, base, base + dl, 0f);
                long dyImg = (long) (i0 + img) * k * p;
                for (int kk = 0; kk < k; kk++) {          // transpose dy through a staged row
                    MemorySegment.copy(dyArg, F, 4 * (dyImg + (long) kk * p), stage, 0, p);
                    for (int q0 = 0, di = base + kk; q0 < p; q0++, di += kp) d[di] = stage[q0];
                }
            }
            // Runs of rows whose dyᵀ (rows·OW·kp floats) stays in L1 while every block passes over it.
            int rowsU = Math.max(1, L1_FLOATS / (ow * kp));
            if (rowsU >= oh) {
                int per = Math.max(1, rowsU / oh);
                for (int im = 0; im < cn; im += per)
                    dwtUnits(from, to, x, d, im * xl, im * dl, 0, oh, Math.min(per, cn - im));
            } else {
                for (int im = 0; im < cn; im++)
                    for (int r0 = 0; r0 < oh; r0 += rowsU)
                        dwtUnits(from, to, x, d, im * xl, im * dl, r0, Math.min(oh, r0 + rowsU), 1);
            }
        }
    }

    /** Floats of dyᵀ per pass of all blocks (16 KiB of L1). */
    private static final int L1_FLOATS = 1 << 12;

    private void dwtUnits(int from, int to, float[] x, float[] d, int xb, int db, int r0, int r1, int images) {
        int tg = tapsP / tT, kb = kvT * L;
        for (int blk = from; blk < to; blk++)
            dwt2(x, offs, (blk % tg) * tT, xb, xLen, d, db + (blk / tg) * kb, kpT, dtLen, r0, r1, ow, wpad, images, acc, blk * 12 * L);
    }

    /** {@link #dwtBlocks}' kernel: 2 vectors of channels × 6 taps, rows [r0, r1) of each of {@code images} images. */
    private static void dwt2(float[] x, int[] o, int t0, int xb, int xl, float[] d, int db, int kp, int dl, int r0, int r1, int w, int ld,
                             int images, float[] a, int ao) {
        FloatVector a0_0 = FloatVector.fromArray(SP, a, ao + 0 * L), a0_1 = FloatVector.fromArray(SP, a, ao + 1 * L);
        FloatVector a1_0 = FloatVector.fromArray(SP, a, ao + 2 * L), a1_1 = FloatVector.fromArray(SP, a, ao + 3 * L);
        FloatVector a2_0 = FloatVector.fromArray(SP, a, ao + 4 * L), a2_1 = FloatVector.fromArray(SP, a, ao + 5 * L);
        FloatVector a3_0 = FloatVector.fromArray(SP, a, ao + 6 * L), a3_1 = FloatVector.fromArray(SP, a, ao + 7 * L);
        FloatVector a4_0 = FloatVector.fromArray(SP, a, ao + 8 * L), a4_1 = FloatVector.fromArray(SP, a, ao + 9 * L);
        FloatVector a5_0 = FloatVector.fromArray(SP, a, ao + 10 * L), a5_1 = FloatVector.fromArray(SP, a, ao + 11 * L);
        int o0 = o[t0 + 0], o1 = o[t0 + 1], o2 = o[t0 + 2], o3 = o[t0 + 3], o4 = o[t0 + 4], o5 = o[t0 + 5];
        for (int img = 0; img < images; img++, xb += xl, db += dl)
            for (int i = r0; i < r1; i++) {
                int xr = xb + i * ld, dr = db + i * w * kp;
                for (int j = 0; j < w; j++) {
                    int xi = xr + j, di = dr + j * kp;
                    FloatVector g0 = FloatVector.fromArray(SP, d, di + 0 * L), g1 = FloatVector.fromArray(SP, d, di + 1 * L);
                    FloatVector v = FloatVector.broadcast(SP, x[xi + o0]);
                    a0_0 = v.fma(g0, a0_0); a0_1 = v.fma(g1, a0_1);
                    v = FloatVector.broadcast(SP, x[xi + o1]);
                    a1_0 = v.fma(g0, a1_0); a1_1 = v.fma(g1, a1_1);
                    v = FloatVector.broadcast(SP, x[xi + o2]);
                    a2_0 = v.fma(g0, a2_0); a2_1 = v.fma(g1, a2_1);
                    v = FloatVector.broadcast(SP, x[xi + o3]);
                    a3_0 = v.fma(g0, a3_0); a3_1 = v.fma(g1, a3_1);
                    v = FloatVector.broadcast(SP, x[xi + o4]);
                    a4_0 = v.fma(g0, a4_0); a4_1 = v.fma(g1, a4_1);
                    v = FloatVector.broadcast(SP, x[xi + o5]);
                    a5_0 = v.fma(g0, a5_0); a5_1 = v.fma(g1, a5_1);
                }
            }
        a0_0.intoArray(a, ao + 0 * L); a0_1.intoArray(a, ao + 1 * L);
        a1_0.intoArray(a, ao + 2 * L); a1_1.intoArray(a, ao + 3 * L);
        a2_0.intoArray(a, ao + 4 * L); a2_1.intoArray(a, ao + 5 * L);
        a3_0.intoArray(a, ao + 6 * L); a3_1.intoArray(a, ao + 7 * L);
        a4_0.intoArray(a, ao + 8 * L); a4_1.intoArray(a, ao + 9 * L);
        a5_0.intoArray(a, ao + 10 * L); a5_1.intoArray(a, ao + 11 * L);
    }

    /** Images [from, to) into x (padded planes) and d (dy on the padded width, zeros elsewhere), from index 0. */
    private void padChunk(int from, int to, float[] x, float[] d) {
        int w = ow, h = oh, ld = wpad;
        long yImg = (long) kdim * h * w;
        for (int n = from; n < to; n++) {
            pad(src, n, 1, x, (n - from) * xLen);
            int base = (n - from) * dyLen;
            java.util.Arrays.fill(d, base, base + dyLen, 0f);
            for (int k = 0; k < kdim; k++)
                for (int i = 0; i < h; i++)
                    MemorySegment.copy(dyArg, F, 4 * (n * yImg + ((long) k * h + i) * w), d, base + k * dyQ + i * ld, w);
        }
    }

    /** Floats of x and dy per chunk of images that a block's loop keeps in L2 (half of 2 MiB). */
    private static final int CHUNK_FLOATS = 1 << 18;

    /**
     * dw blocks [from, to): KT·WT vector partial sums each, over images in order. Images go in
     * chunks that this thread pads into its own buffers (they stay in its core's L2), then every
     * block runs over the whole chunk with its sums in registers. (Padding all images up front
     * cost a pass through memory; one image per block call made loading and storing the sums
     * dominate on small images.)
     */
    private void dwBlocks(int from, int to) {
        int tb = tapsP / WT, n = nImages;
        int len = dyQ, xl = xLen, dl = dyLen;
        int chunk = Math.max(1, Math.min(n, CHUNK_FLOATS / (xl + dl)));
        Scratch sc = SCRATCH.get();
        if (sc.x.length < chunk * xl) sc.x = new float[chunk * xl];
        if (sc.out.length < chunk * dl) sc.out = new float[chunk * dl];
        float[] x = sc.x, d = sc.out, a = acc;
        int[] o = offs;
        java.util.Arrays.fill(a, from * KT * WT * L, to * KT * WT * L, 0f);
        for (int i0 = 0; i0 < n; i0 += chunk) {
            int cn = Math.min(chunk, n - i0);
            padChunk(i0, i0 + cn, x, d);
            for (int blk = from; blk < to; blk++) {
                int kt = blk / tb, tg = blk % tb;
                int db = kt * KT * len, t0 = tg * WT;
                dwBlock(x, o[t0], o[t0 + 1], o[t0 + 2], o[t0 + 3], o[t0 + 4], o[t0 + 5], xl, d, db, dl, len, cn, a, blk * KT * WT * L);
            }
        }
    }

    /**
     * a[ao + (kk·WT + j)·L + lane] += Σ_images Σ_q d[db + kk·len + q] · x[o_j + q], image i at
     * offsets i·xl and i·dl, q in whole vectors; in image order, then q order.
     */
    private static void dwBlock(float[] x, int x0, int x1, int x2, int x3, int x4, int x5, int xl, float[] d, int db, int dl, int len, int images, float[] a, int ao) {
        FloatVector a00 = FloatVector.fromArray(SP, a, ao + 0 * L), a01 = FloatVector.fromArray(SP, a, ao + 1 * L), a02 = FloatVector.fromArray(SP, a, ao + 2 * L), a03 = FloatVector.fromArray(SP, a, ao + 3 * L), a04 = FloatVector.fromArray(SP, a, ao + 4 * L), a05 = FloatVector.fromArray(SP, a, ao + 5 * L);
        FloatVector a10 = FloatVector.fromArray(SP, a, ao + 6 * L), a11 = FloatVector.fromArray(SP, a, ao + 7 * L), a12 = FloatVector.fromArray(SP, a, ao + 8 * L), a13 = FloatVector.fromArray(SP, a, ao + 9 * L), a14 = FloatVector.fromArray(SP, a, ao + 10 * L), a15 = FloatVector.fromArray(SP, a, ao + 11 * L);
        FloatVector a20 = FloatVector.fromArray(SP, a, ao + 12 * L), a21 = FloatVector.fromArray(SP, a, ao + 13 * L), a22 = FloatVector.fromArray(SP, a, ao + 14 * L), a23 = FloatVector.fromArray(SP, a, ao + 15 * L), a24 = FloatVector.fromArray(SP, a, ao + 16 * L), a25 = FloatVector.fromArray(SP, a, ao + 17 * L);
        FloatVector a30 = FloatVector.fromArray(SP, a, ao + 18 * L), a31 = FloatVector.fromArray(SP, a, ao + 19 * L), a32 = FloatVector.fromArray(SP, a, ao + 20 * L), a33 = FloatVector.fromArray(SP, a, ao + 21 * L), a34 = FloatVector.fromArray(SP, a, ao + 22 * L), a35 = FloatVector.fromArray(SP, a, ao + 23 * L);
        for (int i = 0; i < images; i++, x0 += xl, x1 += xl, x2 += xl, x3 += xl, x4 += xl, x5 += xl, db += dl) {
            int d1 = db + len, d2 = d1 + len, d3 = d2 + len;
            for (int qq = 0; qq < len; qq += L) {
                FloatVector v0 = FloatVector.fromArray(SP, x, x0 + qq);
                FloatVector v1 = FloatVector.fromArray(SP, x, x1 + qq);
                FloatVector v2 = FloatVector.fromArray(SP, x, x2 + qq);
                FloatVector v3 = FloatVector.fromArray(SP, x, x3 + qq);
                FloatVector v4 = FloatVector.fromArray(SP, x, x4 + qq);
                FloatVector v5 = FloatVector.fromArray(SP, x, x5 + qq);
                FloatVector g = FloatVector.fromArray(SP, d, db + qq);
                a00 = g.fma(v0, a00); a01 = g.fma(v1, a01); a02 = g.fma(v2, a02); a03 = g.fma(v3, a03); a04 = g.fma(v4, a04); a05 = g.fma(v5, a05);
                g = FloatVector.fromArray(SP, d, d1 + qq);
                a10 = g.fma(v0, a10); a11 = g.fma(v1, a11); a12 = g.fma(v2, a12); a13 = g.fma(v3, a13); a14 = g.fma(v4, a14); a15 = g.fma(v5, a15);
                g = FloatVector.fromArray(SP, d, d2 + qq);
                a20 = g.fma(v0, a20); a21 = g.fma(v1, a21); a22 = g.fma(v2, a22); a23 = g.fma(v3, a23); a24 = g.fma(v4, a24); a25 = g.fma(v5, a25);
                g = FloatVector.fromArray(SP, d, d3 + qq);
                a30 = g.fma(v0, a30); a31 = g.fma(v1, a31); a32 = g.fma(v2, a32); a33 = g.fma(v3, a33); a34 = g.fma(v4, a34); a35 = g.fma(v5, a35);
            }
        }
        a00.intoArray(a, ao + 0 * L); a01.intoArray(a, ao + 1 * L); a02.intoArray(a, ao + 2 * L); a03.intoArray(a, ao + 3 * L); a04.intoArray(a, ao + 4 * L); a05.intoArray(a, ao + 5 * L);
        a10.intoArray(a, ao + 6 * L); a11.intoArray(a, ao + 7 * L); a12.intoArray(a, ao + 8 * L); a13.intoArray(a, ao + 9 * L); a14.intoArray(a, ao + 10 * L); a15.intoArray(a, ao + 11 * L);
        a20.intoArray(a, ao + 12 * L); a21.intoArray(a, ao + 13 * L); a22.intoArray(a, ao + 14 * L); a23.intoArray(a, ao + 15 * L); a24.intoArray(a, ao + 16 * L); a25.intoArray(a, ao + 17 * L);
        a30.intoArray(a, ao + 18 * L); a31.intoArray(a, ao + 19 * L); a32.intoArray(a, ao + 20 * L); a33.intoArray(a, ao + 21 * L); a34.intoArray(a, ao + 22 * L); a35.intoArray(a, ao + 23 * L);
    }
}
