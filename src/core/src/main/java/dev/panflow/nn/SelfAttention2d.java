package dev.panflow.nn;

import dev.panflow.UserError;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.Elementwise;
import dev.panflow.kernels.Gemm;
import dev.panflow.kernels.Pool;
import dev.panflow.kernels.Softmax;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;

/**
 * Residual self-attention over the T = h·w positions of NCHW feature maps (as in DDPM's U-Net),
 * with {@code heads} heads of d = C/heads channels:
 * <pre>
 *   a = GN(x);  [q; k; v] = qkv(a)            (one 1×1 conv C → 3C; head j: channels j·d … (j+1)·d − 1 of each)
 *   P = softmax_rows(qᵀk / √d)                (T × T per image and head)
 *   o = v·Pᵀ;   out = x + proj(o)             (proj: 1×1 conv C → C, zero at init: a fresh block is the identity)
 * </pre>
 * An image's tokens are the columns of its C×T planes, so every product reads the planes as
 * stored: qᵀk is a Gemm "tn", v·Pᵀ an "nt", and the backward products dV = dO·P, dP = dOᵀ·V,
 * dQ = K·dSᵀ, dK = Q·dS are "nn", "tn", "nt", "nn"; no transposed copies. The products of an
 * (image, head) slot run on one thread, slots split over the pool; each slot is computed the
 * same way whatever thread runs it, so results do not depend on the thread count. Views of
 * every slot are made by {@link #reserve}: nothing is allocated per step.
 */
public final class SelfAttention2d {
    public final int channels, heads, hw;
    private final int d;
    private final float scale;
    /** Multiply-adds a chunk of slots should hold before another thread is woken. */
    private static final long MIN_WORK = 1L << 16;
    private final GroupNorm norm;
    private final Conv2d qkv, proj;
    private final Pool pool;
    private final Forward fwd = new Forward();
    private final Backward bwd = new Backward();
    private final Jvp jvpBody = new Jvp();
    private int cap, jCap;
    private Workspace ws; // of reserve: the tangent buffers come from it on the first jvp
    private Tensor a, qkvT, probs, scratch, o, outT, dO, dQkv, dA;
    private Tensor jA, jQkv, jO;
    // Per slot s = image·heads + head: views of q, k, v, P, the T×T scratch, o, and their gradients/tangents.
    private MemorySegment[] q, k, v, p, s, os, gO, gq, gk, gv, jq, jk, jv, jo;

    public SelfAttention2d(ParamStore store, ConvKernels conv, Pool pool, String name, int channels, int heads, int h, int w, int groups) {
        if (heads < 1 || channels % heads != 0)
            throw new UserError("attention: " + channels + " channels do not split into " + heads + " heads");
        this.channels = channels;
        this.heads = heads;
        this.hw = h * w;
        this.d = channels / heads;
        this.scale = (float) (1 / Math.sqrt(d));
        this.pool = pool;
        norm = new GroupNorm(store, pool, name + ".norm", channels, Math.min(groups, channels), hw);
        qkv = new Conv2d(store, conv, name + ".qkv", channels, 3 * channels, 1, 1, 0, h, w);
        proj = new Conv2d(store, conv, name + ".proj", channels, channels, 1, 1, 0, h, w);
    }

    public void init(Rng rng) {
        norm.init();
        qkv.init(rng);
        proj.init(rng);
        proj.zero();
    }

    public void reserve(Workspace ws, int n) {
        this.ws = ws;
        if (n <= cap) return;
        cap = n;
        int t = hw, slots = n * heads;
        a = ws.tensor(n, channels, t);
        qkvT = ws.tensor(n, 3 * channels, t);
        probs = ws.tensor(slots, t, t);
        scratch = ws.tensor(slots, t, t);
        o = ws.tensor(n, channels, t);
        outT = ws.tensor(n, channels, t);
        dO = ws.tensor(n, channels, t);
        dQkv = ws.tensor(n, 3 * channels, t);
        dA = ws.tensor(n, channels, t);
        q = heads(qkvT, n, 0);
        k = heads(qkvT, n, 1);
        v = heads(qkvT, n, 2);
        gq = heads(dQkv, n, 0);
        gk = heads(dQkv, n, 1);
        gv = heads(dQkv, n, 2);
        os = heads(o, n, -1);
        gO = heads(dO, n, -1);
        p = squares(probs, slots);
        s = squares(scratch, slots);
    }

    /** Views of each slot's d×T plane: part 0, 1, 2 of a [n × 3C × T] tensor (q, k, v), or −1: of a [n × C × T] one. */
    private MemorySegment[] heads(Tensor x, int n, int part) {
        MemorySegment[] out = new MemorySegment[n * heads];
        int t = hw, per = part < 0 ? channels : 3 * channels;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < heads; j++) {
                long off = ((long) i * per + (long) Math.max(part, 0) * channels + (long) j * d) * t;
                out[i * heads + j] = x.segment().asSlice(4 * off, 4L * d * t);
            }
        return out;
    }

    private MemorySegment[] squares(Tensor x, int slots) {
        MemorySegment[] out = new MemorySegment[slots];
        long tt = (long) hw * hw;
        for (int i = 0; i < slots; i++) out[i] = x.segment().asSlice(4 * i * tt, 4 * tt);
        return out;
    }

    private void reserveJvp(int n) {
        if (n <= jCap) return;
        jCap = n;
        jA = ws.tensor(n, channels, hw);
        jQkv = ws.tensor(n, 3 * channels, hw);
        jO = ws.tensor(n, channels, hw);
        jq = heads(jQkv, n, 0);
        jk = heads(jQkv, n, 1);
        jv = heads(jQkv, n, 2);
        jo = heads(jO, n, -1);
    }

    /** The output of the last forward pass [n × C × T]. */
    public MemorySegment output() { return outT.segment(); }

    /** The attention weights P of the last forward pass, [n·heads × T × T] (slot image·heads + head). */
    MemorySegment weights() { return probs.segment(); }

    private void split(int n, Pool.RangeBody body) {
        int slots = n * heads;
        long work = 2L * hw * hw * d;   // the two products of a forward slot
        int grain = (int) Math.max(1, MIN_WORK / Math.max(1, work));
        if (pool == null) body.range(0, slots);
        else pool.parallelFor(slots, grain, body);
    }

    /** x [n × C × T]; returns out = x + proj(attention(GN(x))). */
    public MemorySegment forward(MemorySegment x, int n) {
        if (n > cap) throw new IllegalArgumentException(n + " images > reserved " + cap);
        norm.forward(x, a.segment(), n);
        qkv.forward(a.segment(), qkvT.segment(), n);
        split(n, fwd);
        proj.forward(o.segment(), outT.segment(), n);
        Elementwise.add(outT.segment(), x, outT.segment(), (long) n * channels * hw);
        return outT.segment();
    }

    /**
     * Given the forward input x and dL/dout: overwrites this block's gradients and writes dL/dx
     * into {@code dx} (which must not alias dOut).
     */
    public void backward(MemorySegment x, MemorySegment dOut, MemorySegment dx, int n) {
        proj.backward(o.segment(), dOut, dO.segment(), n);
        split(n, bwd);
        qkv.backward(a.segment(), dQkv.segment(), dA.segment(), n);
        norm.backward(x, dA.segment(), dx, n);
        Elementwise.add(dx, dOut, dx, (long) n * channels * hw);
    }

    /**
     * Forward mode through the last forward pass (input x): the output's tangent for an input
     * tangent ẋ, into {@code dOut} (not aliasing ẋ). With ȧ = GN'(ẋ), [q̇; k̇; v̇] = qkv(ȧ) (no bias):
     * Ṗ = softmax'(q̇ᵀk + qᵀk̇), ȯ = v̇·Pᵀ + v·Ṗᵀ, out˙ = ẋ + proj(ȯ) (no bias).
     */
    public void jvp(MemorySegment x, MemorySegment dx, MemorySegment dOut, int n) {
        if (n > cap) throw new IllegalArgumentException(n + " images > reserved " + cap);
        reserveJvp(n);
        norm.jvp(x, dx, jA.segment(), n);
        qkv.jvp(jA.segment(), jQkv.segment(), n);
        split(n, jvpBody);
        proj.jvp(jO.segment(), dOut, n);
        Elementwise.add(dOut, dx, dOut, (long) n * channels * hw);
    }

    // One loop body per pass (see ParallelKernels: a shared body got its vectors boxed by C2).

    private final class Forward implements Pool.RangeBody {
        @Override
        public void range(int from, int to) {
            int t = hw;
            for (int i = from; i < to; i++) {
                Gemm.tn(q[i], k[i], p[i], t, t, d, false, 0, t);   // S = qᵀk  [T × T]
                Softmax.forward(p[i], t, scale, 0, t);             // P = softmax(S/√d) by rows
                Gemm.nt(v[i], p[i], os[i], d, t, t, false, 0, d);  // o = v·Pᵀ [d × T]
            }
        }
    }

    private final class Backward implements Pool.RangeBody {
        @Override
        public void range(int from, int to) {
            int t = hw;
            for (int i = from; i < to; i++) {
                Gemm.nn(gO[i], p[i], gv[i], d, t, t, false, 0, d);  // dv = dO·P
                Gemm.tn(gO[i], v[i], s[i], t, t, d, false, 0, t);   // dP = dOᵀ·v
                Softmax.backward(p[i], s[i], s[i], t, scale, 0, t); // dS (of qᵀk) = P ⊙ (dP − rowsum(P ⊙ dP)) / √d
                Gemm.nt(k[i], s[i], gq[i], d, t, t, false, 0, d);   // dq = k·dSᵀ
                Gemm.nn(q[i], s[i], gk[i], d, t, t, false, 0, d);   // dk = q·dS
            }
        }
    }

    private final class Jvp implements Pool.RangeBody {
        @Override
        public void range(int from, int to) {
            int t = hw;
            for (int i = from; i < to; i++) {
                Gemm.tn(jq[i], k[i], s[i], t, t, d, false, 0, t);   // Ṡ = q̇ᵀk + qᵀk̇
                Gemm.tn(q[i], jk[i], s[i], t, t, d, true, 0, t);
                Softmax.backward(p[i], s[i], s[i], t, scale, 0, t); // Ṗ: softmax's Jacobian is symmetric
                Gemm.nt(jv[i], p[i], jo[i], d, t, t, false, 0, d);  // ȯ = v̇·Pᵀ + v·Ṗᵀ
                Gemm.nt(v[i], s[i], jo[i], d, t, t, true, 0, d);
            }
        }
    }
}
