package dev.panflow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-threaded GEMM over row-major float32 segments, writing only rows [r0, r1) of C.
 *
 * <p>BLIS-style: for each KC-deep slice of k, a KC×NC panel of op(B) is packed into NR-column
 * micro-panels and an MC×KC block of op(A) into MR-row micro-panels (per-thread heap scratch,
 * zero-padded at ragged edges); a register-blocked micro-kernel then broadcasts one packed A
 * element against the two vectors of a packed B row and accumulates an MR×NR tile of C in
 * registers (no horizontal reductions). Packing makes every layout look the same to the kernel
 * and keeps its loads sequential: the B micro-panel (KC·NR floats) is reused from L1 and L2 by
 * every A micro-panel of a block, and the A block streams from L2. Slices and blocks are cut
 * into equal parts ({@link #step}), so no thin slice pays a whole pass over C.
 *
 * <p>Ragged tiles (fewer than MR rows or NR columns of C left) copy their part of C into a small
 * scratch tile and run the same micro-kernel on it: there is one vector kernel, always hot. (A
 * separate edge kernel runs too rarely for C2 to compile it and stays in C1 code, which boxes
 * every vector.)
 *
 * <p>Determinism: every C element is init (old C, or zero when not accumulating) followed by one
 * fused multiply-add per k, in increasing k (KC slices in order, the tile stored and reloaded
 * exactly in between). Zero padding only feeds lanes that are thrown away. So results do not
 * depend on how rows or columns are split between threads.
 */
public final class Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * Micro-tile: MR rows × NR = 2 vectors, 8 accumulators, as many as FMA latency × ports (4 × 2).
     * C2 schedules all of an iteration's broadcasts before its FMAs, so 6×2 or 4×3 tiles need
     * more than AVX2's 16 vector registers and spill an accumulator to the stack (a store-load
     * in its chain: about 55 % of peak measured); 4×2 uses 14 registers and runs at peak.
     */
    static final int MR = 4;
    static final int NR = 2 * L;
    /**
     * Depth of a k slice. Each slice is one more pass over C, so deeper is better while the B
     * micro-panel (KC·NR floats) streams well from L2: at 256 bits 512 (32 KiB; 4 % over 256 on
     * Zen 1's k = 512 layers, level elsewhere), at 512 bits 128 (16 KiB; 256 gave nothing on
     * Zen 4). Tunable for a new core: -Dpanflow.gemm.kc=K, -Dpanflow.gemm.mc=M (MR-row panels
     * per A block); results do not depend on either.
     */
    static final int KC = Math.max(1, Integer.getInteger("panflow.gemm.kc", L <= 8 ? 512 : 128));
    /** Rows per packed A block (MC·KC floats, 240 KiB at 256 bits: L2). */
    static final int MC = Math.max(1, Integer.getInteger("panflow.gemm.mc", 30)) * MR;
    /** Columns per packed B panel (KC·NC floats, 1 MiB), a multiple of NR. */
    static final int NC = Math.max(NR, (1 << 18) / KC / NR * NR);
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final MemorySegment ZEROS = Arena.global().allocate(4096, 64);

    /** Per-thread packing buffers, made once per thread at their final size. */
    private static final class Scratch {
        final float[] a = new float[MC * KC];
        final float[] b = new float[KC * NC];
        final float[] tile = new float[MR * NR];
        final float[] staging = new float[Math.max(NR * KC, NC + NR)];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Gemm() {}

    /** C[m×n] (+)= A[m×k]·B[k×n]. */
    public static void nn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1) {
        nn(a, b, c, m, n, k, accumulate, r0, r1, 0, n);
    }

    /** C[m×n] (+)= Aᵀ·B, A stored [k×m], B [k×n]. */
    public static void tn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1) {
        tn(a, b, c, m, n, k, accumulate, r0, r1, 0, n);
    }

    /** C[m×n] (+)= A·Bᵀ, A [m×k], B stored [n×k]. */
    public static void nt(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1) {
        nt(a, b, c, m, n, k, accumulate, r0, r1, 0, n);
    }

    /** As {@link #nn(MemorySegment, MemorySegment, MemorySegment, int, int, int, boolean, int, int)}, only columns [j0, j1) of those rows. */
    public static void nn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1, int j0, int j1) {
        run(a, k, 1, b, false, c, n, k, accumulate, r0, r1, j0, j1, null, null);
    }

    /**
     * A hidden layer's forward pass with bias and SiLU in the GEMM's epilogue: rows [r0, r1) ×
     * columns [j0, j1) of pre[m×n] = A[m×k]·B[k×n] + bias and post = silu(pre), each tile
     * finished while it is in registers' reach (after its last k slice) instead of in a second
     * pass over the layer's output. {@code post} may be {@code pre}: then only silu(pre) is
     * stored (inference). The same bits as {@link #nn} (not accumulating) followed by
     * {@link Elementwise#biasSilu}.
     */
    public static void nnBiasSilu(MemorySegment a, MemorySegment b, MemorySegment bias, MemorySegment pre, MemorySegment post,
                                  int m, int n, int k, int r0, int r1, int j0, int j1) {
        run(a, k, 1, b, false, pre, n, k, false, r0, r1, j0, j1, bias, post);
    }

    /** As {@link #tn(MemorySegment, MemorySegment, MemorySegment, int, int, int, boolean, int, int)}, only columns [j0, j1) of those rows. */
    public static void tn(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1, int j0, int j1) {
        run(a, 1, m, b, false, c, n, k, accumulate, r0, r1, j0, j1, null, null);
    }

    /** As {@link #nt(MemorySegment, MemorySegment, MemorySegment, int, int, int, boolean, int, int)}, only columns [j0, j1) of those rows. */
    public static void nt(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                          boolean accumulate, int r0, int r1, int j0, int j1) {
        run(a, k, 1, b, true, c, n, k, accumulate, r0, r1, j0, j1, null, null);
    }

    /**
     * Rows [r0, r1) × columns [j0, j1) of C. A(i,p) = a[i·ars + p·acs]; B(p,j) = b[p·n + j], or
     * b[j·k + p] when {@code bt}. With a {@code bias}, the last k slice ends each tile with the
     * bias + SiLU epilogue into C and {@code post}.
     */
    private static void run(MemorySegment a, long ars, long acs, MemorySegment b, boolean bt,
                            MemorySegment c, int n, int k, boolean acc, int r0, int r1, int j0, int j1,
                            MemorySegment bias, MemorySegment post) {
        if (r1 <= r0 || j1 <= j0) return;
        if (k == 0) {   // no k slice to start C from zero or end with the epilogue
            if (!acc || bias != null) for (int i = r0; i < r1; i++) zero(c, (long) i * n + j0, (long) i * n + j1);
            if (bias != null) epilogueRows(c, bias, post, n, r0, r1, j0, j1);
            return;
        }
        Scratch s = SCRATCH.get();
        int kStep = sliceDepth(k), mStep = step(r1 - r0, MC, MR);
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += kStep) {
                int kc = Math.min(kStep, k - pc);
                if (bt) packBt(b, k, pc, kc, jc, nc, s.b, 0, s.staging);
                else packB(b, n, pc, kc, jc, nc, s.b, 0, s.staging);
                for (int ic = r0; ic < r1; ic += mStep) {
                    int mc = Math.min(mStep, r1 - ic);
                    packA(a, ars, acs, ic, mc, pc, kc, s.a, s.staging);
                    boolean fresh = !acc && pc == 0;
                    if (bias != null && pc + kc == k) blockEpilogue(s, s.b, 0, c, n, ic, mc, jc, nc, kc, acs == 1, fresh, bias, post);
                    else block(s, s.b, 0, c, n, ic, mc, jc, nc, kc, acs == 1, fresh);
                }
            }
        }
    }

    /**
     * The depth of k's slices, one rule for every caller: {@link #packWhole} lays out the slices
     * that {@link #nnPacked} reads back by this depth.
     */
    private static int sliceDepth(int k) {
        return step(k, KC, 1);
    }

    /**
     * The block length for {@code len} items cut into as few blocks of at most {@code max} as
     * possible, of equal length in multiples of {@code unit} (the last shorter): with max 256,
     * k = 784 is cut 196 × 4, not 256 × 3 + 16, whose thin last slice would pay a full pass over
     * C and a packing of B for 16 fmas per element.
     */
    static int step(int len, int max, int unit) {
        if (len <= max) return Math.max(len, 1);
        int blocks = (len + max - 1) / max, s = (len + blocks - 1) / blocks;
        return Math.min(max, (s + unit - 1) / unit * unit);
    }

    /** Floats of a B of k×n packed whole by {@link #packWhole}: every k slice, n padded to NR. */
    public static int packedSize(int k, int n) {
        return k * ((n + NR - 1) / NR * NR);
    }

    /**
     * Packs all of op(B) (k×n; B stored [k×n], or [n×k] when {@code bt}) into {@code packed}
     * (≥ {@link #packedSize} floats) for {@link #nnPacked}: a B used by many calls, e.g. a
     * layer's weights shared by every thread's rows, is then packed once. Slice pc's micro-panel
     * for columns jc.. starts at pc·nPad + jc·kc.
     */
    public static void packWhole(MemorySegment b, boolean bt, int k, int n, float[] packed) {
        if (packed.length < packedSize(k, n)) throw new IllegalArgumentException("packed holds " + packed.length + " < " + packedSize(k, n));
        float[] staging = SCRATCH.get().staging;
        int nPad = (n + NR - 1) / NR * NR, kStep = sliceDepth(k);
        for (int pc = 0; pc < k; pc += kStep) {
            int kc = Math.min(kStep, k - pc);
            for (int jc = 0; jc < n; jc += NC) {
                int nc = Math.min(NC, n - jc);
                if (bt) packBt(b, k, pc, kc, jc, nc, packed, pc * nPad + jc * kc, staging);
                else packB(b, n, pc, kc, jc, nc, packed, pc * nPad + jc * kc, staging);
            }
        }
    }

    /**
     * Rows [r0, r1) of C[m×n] = A[m×k]·op(B), A row-major, op(B) packed by {@link #packWhole}:
     * the same bits as {@link #nn} (or {@link #nt}, had B been packed transposed), without
     * packing B. Any number of threads may share one packed B.
     */
    public static void nnPacked(MemorySegment a, float[] packedB, MemorySegment c, int n, int k, int r0, int r1) {
        nnPacked(a, packedB, c, n, k, r0, r1, null, null);
    }

    /**
     * {@link #nnPacked} with the bias + SiLU epilogue of {@link #nnBiasSilu}: rows [r0, r1) of
     * pre = A·op(B) + bias, post = silu(pre) (post may be pre: only silu(pre) is stored).
     */
    public static void nnPackedBiasSilu(MemorySegment a, float[] packedB, MemorySegment bias, MemorySegment pre, MemorySegment post,
                                        int n, int k, int r0, int r1) {
        nnPacked(a, packedB, pre, n, k, r0, r1, bias, post);
    }

    private static void nnPacked(MemorySegment a, float[] packedB, MemorySegment c, int n, int k, int r0, int r1,
                                 MemorySegment bias, MemorySegment post) {
        if (r1 <= r0 || n <= 0) return;
        if (k == 0) {
            zero(c, (long) r0 * n, (long) r1 * n);
            if (bias != null) epilogueRows(c, bias, post, n, r0, r1, 0, n);
            return;
        }
        Scratch s = SCRATCH.get();
        int nPad = (n + NR - 1) / NR * NR, kStep = sliceDepth(k), mStep = step(r1 - r0, MC, MR);
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += kStep) {
                int kc = Math.min(kStep, k - pc);
                for (int ic = r0; ic < r1; ic += mStep) {
                    int mc = Math.min(mStep, r1 - ic);
                    packA(a, k, 1, ic, mc, pc, kc, s.a, s.staging);
                    if (bias != null && pc + kc == k) blockEpilogue(s, packedB, pc * nPad + jc * kc, c, n, ic, mc, jc, nc, kc, true, pc == 0, bias, post);
                    else block(s, packedB, pc * nPad + jc * kc, c, n, ic, mc, jc, nc, kc, true, pc == 0);
                }
            }
        }
    }

    /**
     * C[ic.., jc..] += packed A block · packed B panel, one MR×NR tile at a time; a {@code fresh}
     * tile (the first k slice of C = A·B) starts from zero, not from C: C is then only written,
     * never zeroed first and read back (C of the dense layers is past L2). The zeros are loaded
     * from {@link #ZEROS} by the same code that loads C (row stride 0): a branch to zero the tile
     * instead was left rarely taken by non-accumulating calls, and accumulating ones after them
     * then allocated boxed vectors (AllocationTest).
     */
    private static void block(Scratch s, float[] bp, int bBase, MemorySegment c, int n, int ic, int mc, int jc, int nc, int kc,
                              boolean rowMajorA, boolean fresh) {
        float[] t = s.tile;
        MemorySegment from = fresh ? ZEROS : c;   // fresh: every row of the tile reads ZEROS[0..NR)
        long fromLd = fresh ? 0 : n;
        for (int jr = 0; jr < nc; jr += NR) {
            int bo = bBase + jr * kc;
            for (int ir = 0; ir < mc; ir += MR) {
                long co = (long) (ic + ir) * n + jc + jr;
                boolean full = ir + MR <= mc && jr + NR <= nc;
                int rows = Math.min(MR, mc - ir), cols = Math.min(NR, nc - jr);
                long fo = fresh ? 0 : co;
                if (full) loadTile(from, fo, fromLd, t);
                else copyIn(from, fo, fromLd, t, rows, cols);
                if (rowMajorA) kernelRows(s.a, ir * kc, bp, bo, kc, t);
                else kernel(s.a, ir * kc, bp, bo, kc, t);
                if (full) storeTile(t, c, co, n);
                else copyOut(t, c, co, n, rows, cols);
            }
        }
    }

    /**
     * {@link #block} for the last k slice of a layer with bias + SiLU: each tile, fresh from the
     * micro-kernel, gets y = tile + bias[col] stored into C (unless post is C) and silu(y) into
     * post, so the layer's output is written once and never re-read for the activation. (A
     * separate method from {@link #block}: one body per path keeps both hot and compiled.)
     */
    private static void blockEpilogue(Scratch s, float[] bp, int bBase, MemorySegment c, int n, int ic, int mc, int jc, int nc, int kc,
                                      boolean rowMajorA, boolean fresh, MemorySegment bias, MemorySegment post) {
        float[] t = s.tile;
        MemorySegment from = fresh ? ZEROS : c;   // fresh: every row of the tile reads ZEROS[0..NR)
        long fromLd = fresh ? 0 : n;
        boolean keep = !post.equals(c);
        for (int jr = 0; jr < nc; jr += NR) {
            int bo = bBase + jr * kc;
            int cols = Math.min(NR, nc - jr);
            for (int ir = 0; ir < mc; ir += MR) {
                long co = (long) (ic + ir) * n + jc + jr;
                boolean full = ir + MR <= mc && cols == NR;
                int rows = Math.min(MR, mc - ir);
                long fo = fresh ? 0 : co;
                if (full) loadTile(from, fo, fromLd, t);
                else copyIn(from, fo, fromLd, t, rows, cols);
                if (rowMajorA) kernelRows(s.a, ir * kc, bp, bo, kc, t);
                else kernel(s.a, ir * kc, bp, bo, kc, t);
                if (full) storeTileBiasSilu(t, bias, jc + jr, c, post, keep, co, n);
                else copyOutBiasSilu(t, bias, jc + jr, c, post, keep, co, n, rows, cols);
            }
        }
    }

    /** A full tile's epilogue: y = tile + bias[j0..], C = y (when {@code keep}), post = silu(y); as {@link Elementwise#biasSilu}. */
    private static void storeTileBiasSilu(float[] t, MemorySegment bias, long j0, MemorySegment c, MemorySegment post, boolean keep,
                                          long co, long ldc) {
        // One exp call site: with two (the two vectors of a row unrolled by hand) the warmed-up
        // training step allocated (TrainStepAllocationTest: boxed vectors, C2 left a call un-inlined).
        for (int h = 0; h < NR; h += L) {
            FloatVector bv = ld(bias, j0 + h);
            for (int r = 0; r < MR; r++) {
                long ci = co + r * ldc + h;
                FloatVector y = FloatVector.fromArray(S, t, r * NR + h).add(bv);
                if (keep) st(y, c, ci);
                st(y.mul(Elementwise.sigmoid(y)), post, ci);
            }
        }
    }

    /** The ragged tile's epilogue, scalar: the same operations as {@link #storeTileBiasSilu} (ExpF's forms agree bitwise). */
    private static void copyOutBiasSilu(float[] t, MemorySegment bias, long j0, MemorySegment c, MemorySegment post, boolean keep,
                                        long co, long ldc, int rows, int cols) {
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++) {
                float y = t[r * NR + j] + bias.getAtIndex(F, j0 + j);
                long i = co + r * ldc + j;
                if (keep) c.setAtIndex(F, i, y);
                post.setAtIndex(F, i, y * Elementwise.sigmoid(y));
            }
    }

    /** k = 0: C[r0..r1, j0..j1) (zero) + bias, post = silu (rare; scalar). */
    private static void epilogueRows(MemorySegment c, MemorySegment bias, MemorySegment post, int n, int r0, int r1, int j0, int j1) {
        boolean keep = !post.equals(c);
        for (int i = r0; i < r1; i++)
            for (int j = j0; j < j1; j++) {
                long idx = (long) i * n + j;
                float y = c.getAtIndex(F, idx) + bias.getAtIndex(F, j);
                if (keep) c.setAtIndex(F, idx, y);
                post.setAtIndex(F, idx, y * Elementwise.sigmoid(y));
            }
    }

    /**
     * The micro-kernel: tile[r·NR + j] += Σ_p ap[ao + p·MR + r] · bp[bo + p·NR + j], p in [0, kc),
     * one fma per p in increasing p. It touches heap arrays only: memory-segment accesses cost C2
     * many more IR nodes, and a kernel over its inlining node budget leaves calls un-inlined and
     * boxes their vectors.
     */
    private static void kernel(float[] ap, int ao, float[] bp, int bo, int kc, float[] t) {
        FloatVector x00 = FloatVector.fromArray(S, t, 0), x01 = FloatVector.fromArray(S, t, L);
        FloatVector x10 = FloatVector.fromArray(S, t, NR), x11 = FloatVector.fromArray(S, t, NR + L);
        FloatVector x20 = FloatVector.fromArray(S, t, 2 * NR), x21 = FloatVector.fromArray(S, t, 2 * NR + L);
        FloatVector x30 = FloatVector.fromArray(S, t, 3 * NR), x31 = FloatVector.fromArray(S, t, 3 * NR + L);
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR, ai = ao + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector v = FloatVector.broadcast(S, ap[ai]);
            x00 = v.fma(b0, x00); x01 = v.fma(b1, x01);
            v = FloatVector.broadcast(S, ap[ai + 1]);
            x10 = v.fma(b0, x10); x11 = v.fma(b1, x11);
            v = FloatVector.broadcast(S, ap[ai + 2]);
            x20 = v.fma(b0, x20); x21 = v.fma(b1, x21);
            v = FloatVector.broadcast(S, ap[ai + 3]);
            x30 = v.fma(b0, x30); x31 = v.fma(b1, x31);
        }
        x00.intoArray(t, 0); x01.intoArray(t, L);
        x10.intoArray(t, NR); x11.intoArray(t, NR + L);
        x20.intoArray(t, 2 * NR); x21.intoArray(t, 2 * NR + L);
        x30.intoArray(t, 3 * NR); x31.intoArray(t, 3 * NR + L);
    }

    /**
     * {@link #kernel} for an A micro-panel stored row by row: A(r, p) = ap[ao + r·kc + p] (a plain
     * copy of MR rows of a row-major A, no transpose). The same fmas in the same order.
     */
    private static void kernelRows(float[] ap, int ao, float[] bp, int bo, int kc, float[] t) {
        FloatVector x00 = FloatVector.fromArray(S, t, 0), x01 = FloatVector.fromArray(S, t, L);
        FloatVector x10 = FloatVector.fromArray(S, t, NR), x11 = FloatVector.fromArray(S, t, NR + L);
        FloatVector x20 = FloatVector.fromArray(S, t, 2 * NR), x21 = FloatVector.fromArray(S, t, 2 * NR + L);
        FloatVector x30 = FloatVector.fromArray(S, t, 3 * NR), x31 = FloatVector.fromArray(S, t, 3 * NR + L);
        int a1 = ao + kc, a2 = a1 + kc, a3 = a2 + kc;
        for (int p = 0; p < kc; p++) {
            int bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi), b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector v = FloatVector.broadcast(S, ap[ao + p]);
            x00 = v.fma(b0, x00); x01 = v.fma(b1, x01);
            v = FloatVector.broadcast(S, ap[a1 + p]);
            x10 = v.fma(b0, x10); x11 = v.fma(b1, x11);
            v = FloatVector.broadcast(S, ap[a2 + p]);
            x20 = v.fma(b0, x20); x21 = v.fma(b1, x21);
            v = FloatVector.broadcast(S, ap[a3 + p]);
            x30 = v.fma(b0, x30); x31 = v.fma(b1, x31);
        }
        x00.intoArray(t, 0); x01.intoArray(t, L);
        x10.intoArray(t, NR); x11.intoArray(t, NR + L);
        x20.intoArray(t, 2 * NR); x21.intoArray(t, 2 * NR + L);
        x30.intoArray(t, 3 * NR); x31.intoArray(t, 3 * NR + L);
    }

    /** tile[r·NR + j] = C[co + r·ldc + j], a full MR×NR tile, one row (two vectors) at a time. */
    private static void loadTile(MemorySegment c, long co, long ldc, float[] t) {
        for (int r = 0, o = 0; r < MR; r++, o += NR, co += ldc) {
            ld(c, co).intoArray(t, o);
            ld(c, co + L).intoArray(t, o + L);
        }
    }

    /** The inverse of {@link #loadTile}. */
    private static void storeTile(float[] t, MemorySegment c, long co, long ldc) {
        for (int r = 0, o = 0; r < MR; r++, o += NR, co += ldc) {
            st(FloatVector.fromArray(S, t, o), c, co);
            st(FloatVector.fromArray(S, t, o + L), c, co + L);
        }
    }

    /** Ragged tile: its rows × cols part of C into the tile (scalar; the rest is ignored). */
    private static void copyIn(MemorySegment c, long co, long ldc, float[] t, int rows, int cols) {
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++) t[r * NR + j] = c.getAtIndex(F, co + r * ldc + j);
    }

    /** The inverse of {@link #copyIn}. */
    private static void copyOut(float[] t, MemorySegment c, long co, long ldc, int rows, int cols) {
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++) c.setAtIndex(F, co + r * ldc + j, t[r * NR + j]);
    }

    /**
     * packed[jr·kc + p·NR + j] = B(pc + p, jc + jr + j) for B stored [k×n] (rows contiguous):
     * each row slice is bulk-copied into the staging array, then dealt out NR floats per
     * micro-panel; ragged columns are zero-padded. (No vectors here: a vector copy in this method
     * was left boxed by C2 in small training steps.)
     */
    private static void packB(MemorySegment b, int n, int pc, int kc, int jc, int nc, float[] packed, int base, float[] staging) {
        int full = nc - nc % NR;
        if (full < nc) java.util.Arrays.fill(staging, nc, full + NR, 0f);
        for (int p = 0; p < kc; p++) {
            MemorySegment.copy(b, F, 4 * ((long) (pc + p) * n + jc), staging, 0, nc);
            for (int jr = 0, o = base + p * NR; jr < nc; jr += NR, o += NR * kc)
                for (int j = 0; j < NR; j++) packed[o + j] = staging[jr + j];   // C2 vectorizes this loop
        }
    }

    /**
     * As {@link #packB} for B stored [n×k] (Bᵀ given): B(p, j) = b[j·k + p]. Each micro-panel's
     * NR rows of b are bulk-copied into the staging array, then transposed array to array
     * (element-wise segment reads at stride k cost several times more).
     */
    private static void packBt(MemorySegment b, int k, int pc, int kc, int jc, int nc, float[] packed, int base, float[] staging) {
        for (int jr = 0; jr < nc; jr += NR) {
            int cols = Math.min(NR, nc - jr);
            long src = (long) (jc + jr) * k + pc;
            for (int j = 0; j < cols; j++) MemorySegment.copy(b, F, 4 * (src + (long) j * k), staging, j * kc, kc);
            if (cols < NR) java.util.Arrays.fill(staging, cols * kc, NR * kc, 0f);
            transpose(staging, kc, NR, packed, base + jr * kc);
        }
    }

    /** packed[o + p·w + r] = staging[r·kc + p] for r < w, p < kc. */
    private static void transpose(float[] staging, int kc, int w, float[] packed, int o) {
        for (int p = 0; p < kc; p++, o += w)
            for (int r = 0, si = p; r < w; r++, si += kc) packed[o + r] = staging[si];
    }

    /**
     * Packs the A block of rows [ic, ic + mc) × k slice [pc, pc + kc), A(i, p) = a[i·ars + p·acs],
     * in micro-panels of MR rows at packed[ir·kc ..], rows past the block zero-padded. Rows
     * contiguous in p (acs = 1) are bulk-copied as they are, row by row (A(r, p) at r·kc + p, for
     * {@link #kernelRows}: no transpose); otherwise a micro-panel interleaves its rows
     * (A(r, p) at p·MR + r, for {@link #kernel}): when columns are contiguous (ars = 1, Aᵀ given,
     * as in the weight gradient xᵀ·dy) each of the kc rows of a is bulk-copied into the staging
     * array (zero-padded past mc) and dealt out MR floats per micro-panel; otherwise a micro-panel
     * names its MR rows explicitly.
     */
    private static void packA(MemorySegment a, long ars, long acs, int ic, int mc, int pc, int kc, float[] packed, float[] staging) {
        if (acs != 1 && ars == 1) {
            int full = mc - mc % MR;
            if (full < mc) java.util.Arrays.fill(staging, mc, full + MR, 0f);
            for (int p = 0; p < kc; p++) {
                MemorySegment.copy(a, F, 4 * ((long) (pc + p) * acs + ic), staging, 0, mc);
                // Scalar moves: a 128-bit vector move here (5716def) ran tn 13x slower once nn had
                // compiled this method first (bench/gemm's order; the cause was not pinned down).
                for (int ir = 0, o = p * MR; ir < mc; ir += MR, o += MR * kc) {
                    packed[o] = staging[ir];
                    packed[o + 1] = staging[ir + 1];
                    packed[o + 2] = staging[ir + 2];
                    packed[o + 3] = staging[ir + 3];
                }
            }
            return;
        }
        for (int ir = 0; ir < mc; ir += MR) {
            int rows = Math.min(MR, mc - ir), o = ir * kc;
            long src = (ic + ir) * ars + pc * acs;
            if (acs == 1) {
                for (int r = 0; r < rows; r++) MemorySegment.copy(a, F, 4 * (src + r * ars), packed, o + r * kc, kc);
                if (rows < MR) java.util.Arrays.fill(packed, o + rows * kc, o + MR * kc, 0f);
            } else if (rows == MR) {
                long s1 = src + ars, s2 = s1 + ars, s3 = s2 + ars;
                for (int p = 0; p < kc; p++, o += MR, src += acs, s1 += acs, s2 += acs, s3 += acs) {
                    packed[o] = a.getAtIndex(F, src);
                    packed[o + 1] = a.getAtIndex(F, s1);
                    packed[o + 2] = a.getAtIndex(F, s2);
                    packed[o + 3] = a.getAtIndex(F, s3);
                }
            } else {
                for (int p = 0; p < kc; p++, o += MR, src += acs)
                    for (int r = 0; r < MR; r++) packed[o + r] = r < rows ? a.getAtIndex(F, src + r * ars) : 0f;
            }
        }
    }

    private static FloatVector ld(MemorySegment s, long index) {
        return FloatVector.fromMemorySegment(S, s, 4 * index, NO);
    }

    private static void st(FloatVector v, MemorySegment c, long index) {
        v.intoMemorySegment(c, 4 * index, NO);
    }

    /** Zeroes C[from..to) (float indices) so every tile can start its accumulators from C. */
    private static void zero(MemorySegment c, long from, long to) {
        long off = 4 * from, end = 4 * to, chunk = ZEROS.byteSize();
        while (off < end) {
            long len = Math.min(chunk, end - off);
            MemorySegment.copy(ZEROS, 0, c, off, len);
            off += len;
        }
    }
}
