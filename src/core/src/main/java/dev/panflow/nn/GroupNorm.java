package dev.panflow.nn;

import dev.panflow.UserError;
import dev.panflow.kernels.GroupNormKernels;
import dev.panflow.kernels.Pool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Group normalisation (Wu and He 2018) over NCHW: per image and group of C/G channels,
 * x̂ = (x − μ)/√(σ² + ε), y = γ_c x̂ + β_c. Backward:
 * dx = (1/√(σ² + ε)) · (g − mean(g) − x̂ · mean(g x̂)) with g = γ_c dy, means over the group.
 * Mean and 1/σ of the last forward pass are kept for the backward pass. The work runs in
 * {@link GroupNormKernels}, split by (image, group) over the pool; dγ and dβ are summed over
 * images in image order afterwards, so no result depends on the thread count.
 */
public final class GroupNorm {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Values a chunk should hold before another thread is woken. */
    private static final int MIN_CHUNK = 1 << 13;
    public final int channels, groups, hw;
    public final Param gamma, beta;
    private final Pool pool;
    private double[] mean = new double[0], rstd = new double[0], dGammaRows = new double[0], dBetaRows = new double[0];
    // One loop body per kernel (see ParallelKernels: a shared body got its vectors boxed by C2).
    private final Forward fwd = new Forward();
    private final Jvp jvp = new Jvp();
    private final Backward bwd = new Backward();
    private final ForwardSilu fwdSilu = new ForwardSilu();
    private final BackwardSilu bwdSilu = new BackwardSilu();

    public GroupNorm(ParamStore store, String name, int channels, int groups, int hw) {
        this(store, null, name, channels, groups, hw);
    }

    /** {@code pool} may be null: everything then runs on the caller. */
    public GroupNorm(ParamStore store, Pool pool, String name, int channels, int groups, int hw) {
        if (groups < 1 || channels % groups != 0)
            throw new UserError("group norm: " + channels + " channels do not split into " + groups + " groups");
        this.channels = channels;
        this.groups = groups;
        this.hw = hw;
        this.pool = pool;
        this.gamma = store.declare(name + ".weight", channels);
        this.beta = store.declare(name + ".bias", channels);
    }

    public void init() {
        gamma.value().fill(1f);
        beta.value().zero();
    }

    public void forward(MemorySegment x, MemorySegment y, int n) {
        ensureStats(n);
        Forward k = fwd;
        k.x = x;
        k.y = y;
        run(n, k);
        k.x = k.y = null;
    }

    /**
     * {@link #forward} into a, followed by y = silu(a) and, unless gate is null, gate = σ(a) (for
     * {@link #backwardSilu}), in one pass: bitwise the two steps.
     */
    public void forwardSilu(MemorySegment x, MemorySegment a, MemorySegment gate, MemorySegment y, int n) {
        ensureStats(n);
        ForwardSilu k = fwdSilu;
        k.x = x;
        k.a = a;
        k.gate = gate;
        k.y = y;
        run(n, k);
        k.x = k.a = k.gate = k.y = null;
    }

    /**
     * Forward mode through the last forward pass (its input x): for an input tangent ẋ,
     * ẏ = γ_c·r·(ẋ − mean(ẋ) − x̂·mean(x̂ ẋ)), means over the group, r = 1/√(σ² + ε).
     */
    public void jvp(MemorySegment x, MemorySegment dx, MemorySegment dy, int n) {
        Jvp k = jvp;
        k.x = x;
        k.dx = dx;
        k.dy = dy;
        run(n, k);
        k.x = k.dx = k.dy = null;
    }

    /** Given the forward input x and dL/dy: overwrites dγ, dβ and writes dL/dx. */
    public void backward(MemorySegment x, MemorySegment dy, MemorySegment dx, int n) {
        ensureRows(n);
        Backward k = bwd;
        k.x = x;
        k.dy = dy;
        k.dx = dx;
        run(n, k);
        k.x = k.dy = k.dx = null;
        sumParamGrads(n);
    }

    /**
     * The backward pass of {@link #forwardSilu}: given the forward input x, its kept output a and
     * gate (null: σ(a) is recomputed) and dL/dy of the SiLU's output in {@code dy}: overwrites dγ,
     * dβ, leaves dL/da in {@code dy} and writes dL/dx. Bitwise the SiLU's backward then {@link #backward}.
     */
    public void backwardSilu(MemorySegment x, MemorySegment a, MemorySegment gate, MemorySegment dy, MemorySegment dx, int n) {
        ensureRows(n);
        BackwardSilu k = bwdSilu;
        k.x = x;
        k.a = a;
        k.gate = gate;
        k.dy = dy;
        k.dx = dx;
        run(n, k);
        k.x = k.a = k.gate = k.dy = k.dx = null;
        sumParamGrads(n);
    }

    private void ensureStats(int n) {
        if (mean.length < n * groups) {
            mean = new double[n * groups];
            rstd = new double[n * groups];
        }
    }

    private void ensureRows(int n) {
        if (dGammaRows.length < n * channels) {
            dGammaRows = new double[n * channels];
            dBetaRows = new double[n * channels];
        }
    }

    /** dγ, dβ: the per-image sums added in image order. */
    private void sumParamGrads(int n) {
        MemorySegment dg = gamma.grad().segment(), db = beta.grad().segment();
        for (int c = 0; c < channels; c++) {
            double sg = 0, sb = 0;
            for (int i = 0; i < n; i++) {
                sg += dGammaRows[i * channels + c];
                sb += dBetaRows[i * channels + c];
            }
            dg.setAtIndex(F, c, (float) sg);
            db.setAtIndex(F, c, (float) sb);
        }
    }

    private void run(int n, Pool.RangeBody body) {
        int slots = n * groups;
        if (pool == null) body.range(0, slots);
        else pool.parallelFor(slots, Math.max(1, MIN_CHUNK / (channels / groups * hw)), body);
    }

    private final class Forward implements Pool.RangeBody {
        MemorySegment x, y;

        @Override
        public void range(int from, int to) {
            GroupNormKernels.forward(x, y, gamma.value().segment(), beta.value().segment(), mean, rstd, channels, groups, hw, from, to);
        }
    }

    private final class Jvp implements Pool.RangeBody {
        MemorySegment x, dx, dy;

        @Override
        public void range(int from, int to) {
            GroupNormKernels.jvp(x, dx, dy, gamma.value().segment(), mean, rstd, channels, groups, hw, from, to);
        }
    }

    private final class ForwardSilu implements Pool.RangeBody {
        MemorySegment x, a, gate, y;

        @Override
        public void range(int from, int to) {
            GroupNormKernels.forwardSilu(x, a, gate, y, gamma.value().segment(), beta.value().segment(), mean, rstd, channels, groups, hw,
                    from, to);
        }
    }

    private final class BackwardSilu implements Pool.RangeBody {
        MemorySegment x, a, gate, dy, dx;

        @Override
        public void range(int from, int to) {
            GroupNormKernels.backwardSilu(x, a, gate, dy, dx, gamma.value().segment(), mean, rstd, dGammaRows, dBetaRows, channels, groups,
                    hw, from, to);
        }
    }

    private final class Backward implements Pool.RangeBody {
        MemorySegment x, dy, dx;

        @Override
        public void range(int from, int to) {
            GroupNormKernels.backward(x, dy, dx, gamma.value().segment(), mean, rstd, dGammaRows, dBetaRows, channels, groups, hw, from, to);
        }
    }
}
