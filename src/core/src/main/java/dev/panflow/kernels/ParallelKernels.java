package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The training step's elementwise kernels split over a {@link Pool} when the arrays are large
 * enough to pay for waking a thread. Flat arrays split at multiples of {@value #BLOCK} elements
 * and {@link #biasSiluGate} at rows; every element is computed the same way whatever chunk holds
 * it, so results do not depend on the pool size. Allocation-free: the arguments of the current
 * call live in fields and this object is the loop body. One caller at a time.
 */
public final class ParallelKernels {
    /** Elements a chunk should hold before another thread is woken (a few µs of work). */
    static final int MIN_CHUNK = 1 << 13;
    private static final int BLOCK = 64;

    private final Pool pool;
    // One loop body per kernel: a body that dispatched to all four got them all inlined into one
    // compiled method, and C2 then boxed their vectors (allocation on every call).
    private final BiasSiluGate biasSiluGate = new BiasSiluGate();
    private final SiluBackwardGate siluBackwardGate = new SiluBackwardGate();
    private final Silu silu = new Silu();
    private final SiluBackward siluBackward = new SiluBackward();
    private final SiluBackwardWithGate siluBackwardWithGate = new SiluBackwardWithGate();
    private final AdamUpdate adam = new AdamUpdate();
    private final EmaUpdate ema = new EmaUpdate();

    /** {@code pool} may be null: everything then runs on the caller. */
    public ParallelKernels(Pool pool) {
        this.pool = pool;
    }

    /** y ← σ(y + bias), out = (y + bias)·σ(y + bias) over rows × cols ({@link Elementwise#biasSiluGate}). */
    public void biasSiluGate(MemorySegment y, MemorySegment bias, MemorySegment out, int rows, int cols) {
        if (pool == null) {
            Elementwise.biasSiluGate(y, bias, out, 0, rows, cols);
            return;
        }
        BiasSiluGate k = biasSiluGate;
        k.y = y;
        k.bias = bias;
        k.out = out;
        k.cols = cols;
        pool.parallelFor(rows, (MIN_CHUNK + cols - 1) / Math.max(1, cols), k);
        k.y = k.bias = k.out = null;
    }

    /** dx = dy·(s + y·(1−s)) over n elements, s the gate and y the SiLU output ({@link Elementwise#siluBackwardGate}). */
    public void siluBackwardGate(MemorySegment gate, MemorySegment y, MemorySegment dy, MemorySegment dx, long n) {
        if (pool == null) {
            Elementwise.siluBackwardGate(gate, y, dy, dx, 0, n);
            return;
        }
        SiluBackwardGate k = siluBackwardGate;
        k.gate = gate;
        k.y = y;
        k.dy = dy;
        k.dx = dx;
        k.n = n;
        pool.parallelFor(blocks(n), MIN_CHUNK / BLOCK, k);
        k.gate = k.y = k.dy = k.dx = null;
    }

    /** y = silu(x) over n elements ({@link Elementwise#silu}); y may alias x. */
    public void silu(MemorySegment x, MemorySegment y, long n) {
        if (pool == null) {
            Elementwise.silu(x, y, 0, n);
            return;
        }
        Silu k = silu;
        k.x = x;
        k.y = y;
        k.n = n;
        pool.parallelFor(blocks(n), MIN_CHUNK / BLOCK, k);
        k.x = k.y = null;
    }

    /** dx = dy·silu'(x) over n elements ({@link Elementwise#siluBackward}). */
    public void siluBackward(MemorySegment x, MemorySegment dy, MemorySegment dx, long n) {
        if (pool == null) {
            Elementwise.siluBackward(x, dy, dx, 0, n);
            return;
        }
        SiluBackward k = siluBackward;
        k.x = x;
        k.dy = dy;
        k.dx = dx;
        k.n = n;
        pool.parallelFor(blocks(n), MIN_CHUNK / BLOCK, k);
        k.x = k.dy = k.dx = null;
    }

    /**
     * dx = dy·silu'(x) from x and its kept gate over n elements ({@link Elementwise#siluBackwardWithGate});
     * with a null gate, from x alone ({@link #siluBackward}: the same bits).
     */
    public void siluBackwardWithGate(MemorySegment x, MemorySegment gate, MemorySegment dy, MemorySegment dx, long n) {
        if (gate == null) {
            siluBackward(x, dy, dx, n);
            return;
        }
        if (pool == null) {
            Elementwise.siluBackwardWithGate(x, gate, dy, dx, 0, n);
            return;
        }
        SiluBackwardWithGate k = siluBackwardWithGate;
        k.x = x;
        k.gate = gate;
        k.dy = dy;
        k.dx = dx;
        k.n = n;
        pool.parallelFor(blocks(n), MIN_CHUNK / BLOCK, k);
        k.x = k.gate = k.dy = k.dx = null;
    }

    /** One AdamW step over n parameters ({@link Adam#step}). */
    public void adam(MemorySegment param, MemorySegment grad, MemorySegment m, MemorySegment v, long n,
                     float lr, float beta1, float beta2, float eps, float weightDecay, long step) {
        if (step < 1) throw new IllegalArgumentException("step must be >= 1: " + step);
        float bc1 = (float) (1.0 / (1.0 - Math.pow(beta1, step)));
        float bc2 = (float) (1.0 / (1.0 - Math.pow(beta2, step)));
        if (pool == null) {
            Adam.update(param, grad, m, v, 0, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2);
            return;
        }
        AdamUpdate k = adam;
        k.param = param;
        k.grad = grad;
        k.m = m;
        k.v = v;
        k.n = n;
        k.lr = lr;
        k.beta1 = beta1;
        k.beta2 = beta2;
        k.eps = eps;
        k.weightDecay = weightDecay;
        k.invBc1 = bc1;
        k.invBc2 = bc2;
        pool.parallelFor(blocks(n), MIN_CHUNK / BLOCK, k);
        k.param = k.grad = k.m = k.v = null;
    }

    /** avg = decay·avg + (1−decay)·x over n elements ({@link Elementwise#ema}). */
    public void ema(MemorySegment avg, MemorySegment x, float decay, long n) {
        if (pool == null) {
            Elementwise.ema(avg, x, decay, 0, n);
            return;
        }
        EmaUpdate k = ema;
        k.avg = avg;
        k.x = x;
        k.decay = decay;
        k.n = n;
        pool.parallelFor(blocks(n), MIN_CHUNK / BLOCK, k);
        k.avg = k.x = null;
    }

    private static int blocks(long n) {
        long b = (n + BLOCK - 1) / BLOCK;
        if (b > Integer.MAX_VALUE) throw new IllegalArgumentException("too many elements: " + n);
        return (int) b;
    }

    private static final class BiasSiluGate implements Pool.RangeBody {
        MemorySegment y, bias, out;
        int cols;

        @Override
        public void range(int from, int to) { Elementwise.biasSiluGate(y, bias, out, from, to, cols); }
    }

    private static final class SiluBackwardGate implements Pool.RangeBody {
        MemorySegment gate, y, dy, dx;
        long n;

        @Override
        public void range(int from, int to) {
            Elementwise.siluBackwardGate(gate, y, dy, dx, (long) from * BLOCK, Math.min(n, (long) to * BLOCK));
        }
    }

    private static final class Silu implements Pool.RangeBody {
        MemorySegment x, y;
        long n;

        @Override
        public void range(int from, int to) {
            Elementwise.silu(x, y, (long) from * BLOCK, Math.min(n, (long) to * BLOCK));
        }
    }

    private static final class SiluBackward implements Pool.RangeBody {
        MemorySegment x, dy, dx;
        long n;

        @Override
        public void range(int from, int to) {
            Elementwise.siluBackward(x, dy, dx, (long) from * BLOCK, Math.min(n, (long) to * BLOCK));
        }
    }

    private static final class SiluBackwardWithGate implements Pool.RangeBody {
        MemorySegment x, gate, dy, dx;
        long n;

        @Override
        public void range(int from, int to) {
            Elementwise.siluBackwardWithGate(x, gate, dy, dx, (long) from * BLOCK, Math.min(n, (long) to * BLOCK));
        }
    }

    private static final class AdamUpdate implements Pool.RangeBody {
        MemorySegment param, grad, m, v;
        long n;
        float lr, beta1, beta2, eps, weightDecay, invBc1, invBc2;

        @Override
        public void range(int from, int to) {
            Adam.update(param, grad, m, v, (long) from * BLOCK, Math.min(n, (long) to * BLOCK), lr, beta1, beta2, eps,
                    weightDecay, invBc1, invBc2);
        }
    }

    private static final class EmaUpdate implements Pool.RangeBody {
        MemorySegment avg, x;
        long n;
        float decay;

        @Override
        public void range(int from, int to) {
            Elementwise.ema(avg, x, decay, (long) from * BLOCK, Math.min(n, (long) to * BLOCK));
        }
    }
}
