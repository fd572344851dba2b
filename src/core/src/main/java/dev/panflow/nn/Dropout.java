package dev.panflow.nn;

import dev.panflow.InvalidParameterException;
import dev.panflow.kernels.Elementwise;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Inverted dropout of one layer's activations [n × width] in a training pass: y = x·m with
 * m_i = 0 with probability p, else 1/(1 − p), so E[y] = x and inference is the identity (no
 * rescaling at sampling). The backward and forward-mode passes multiply by the same m.
 *
 * <p>Image r's mask is drawn from its own stream, seeded by (seed, step, layer, row) with row
 * its index in the global batch: the masks depend on neither the thread count nor the ranks,
 * and a resumed run (which restores the step) draws the same ones. Two draws per 64-bit word:
 * m_i = 0 when its 32 bits are below p·2³². Buffers are made once by {@link #reserve};
 * {@link #draw} and {@link #apply} allocate nothing.
 */
public final class Dropout {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    public final float p;
    private final float keep;      // 1/(1 − p)
    private final long threshold;  // p·2³²: a 32-bit draw below it drops
    private final long seed;
    private final int layer, width;
    private final Pool pool;
    private final Draw drawBody = new Draw();
    private final Apply applyBody = new Apply();
    private Tensor mask;
    private Rng[] rngs = new Rng[0]; // one per image: a chunk of the pool owns its images' streams
    private int cap;

    /** {@code width} values per image; {@code layer} tells this layer's streams from the others'. */
    public Dropout(float p, long seed, int layer, int width, Pool pool) {
        check(p);
        if (p == 0) throw new IllegalArgumentException("dropout 0 is no dropout: leave the layer without one");
        this.p = p;
        this.keep = 1f / (1f - p);
        this.threshold = (long) Math.floor(p * 0x1p32);
        this.seed = seed;
        this.layer = layer;
        this.width = width;
        this.pool = pool;
    }

    /** Refuses p outside [0, 1) as the parameter {@code dropout}. */
    public static void check(float p) {
        if (!(p >= 0 && p < 1)) throw new InvalidParameterException("dropout must be in [0, 1), got " + p, "dropout");
    }

    public void reserve(Workspace ws, int n) {
        if (n <= cap) return;
        cap = n;
        mask = ws.tensor(n, width);
        Rng[] r = java.util.Arrays.copyOf(rngs, n);
        for (int i = rngs.length; i < n; i++) r[i] = new Rng(0);
        rngs = r;
    }

    /** The mask of the last {@link #draw} [n × width]. */
    public MemorySegment mask() { return mask.segment(); }

    /** Draws the masks of images firstRow … firstRow + n − 1 of training step {@code step} and multiplies x by them in place. */
    public void draw(MemorySegment x, int n, long step, long firstRow) {
        if (n > cap) throw new IllegalArgumentException(n + " images > reserved " + cap);
        Draw d = drawBody;
        d.x = x;
        d.step = step;
        d.firstRow = firstRow;
        run(n, d);
        d.x = null;
    }

    /** g = g·m with the last drawn masks, in place (the backward and the forward-mode pass of {@link #draw}). */
    public void apply(MemorySegment g, int n) {
        if (n > cap) throw new IllegalArgumentException(n + " images > reserved " + cap);
        Apply a = applyBody;
        a.g = g;
        run(n, a);
        a.g = null;
    }

    private void run(int n, Pool.RangeBody body) {
        if (pool == null) body.range(0, n);
        else pool.parallelFor(n, Math.max(1, (1 << 13) / Math.max(1, width)), body);
    }

    /** The seed of image {@code row}'s mask in layer {@code layer} at step {@code step} (the four mixed by splitmix64). */
    static long streamSeed(long seed, long step, int layer, long row) {
        long z = Rng.splitmix(seed ^ 0x6A09E667F3BCC909L);        // apart from the trainer's own stream of the same seed
        z = Rng.splitmix(z + step * 0x9E3779B97F4A7C15L);
        z = Rng.splitmix(z + (layer + 1L) * 0xBF58476D1CE4E5B9L);
        return Rng.splitmix(z + (row + 1) * 0x94D049BB133111EBL);
    }

    /** Writes image r's mask into m[off, off + width) from rng. */
    static void fill(Rng rng, long threshold, float keep, MemorySegment m, long off, int width) {
        long i = off, end = off + width;
        for (; i + 1 < end; i += 2) {
            long bits = rng.nextLong();
            m.setAtIndex(F, i, (bits >>> 32) < threshold ? 0f : keep);
            m.setAtIndex(F, i + 1, (bits & 0xFFFFFFFFL) < threshold ? 0f : keep);
        }
        if (i < end) m.setAtIndex(F, i, (rng.nextLong() >>> 32) < threshold ? 0f : keep);
    }

    private final class Draw implements Pool.RangeBody {
        MemorySegment x;
        long step, firstRow;

        @Override
        public void range(int from, int to) {
            MemorySegment m = mask.segment();
            for (int r = from; r < to; r++) {
                Rng rng = rngs[r];
                rng.reseed(streamSeed(seed, step, layer, firstRow + r));
                long off = (long) r * width;
                fill(rng, threshold, keep, m, off, width);
                Elementwise.mul(x, m, x, off, off + width);
            }
        }
    }

    private final class Apply implements Pool.RangeBody {
        MemorySegment g;

        @Override
        public void range(int from, int to) {
            long w = width;
            Elementwise.mul(g, mask.segment(), g, from * w, to * w);
        }
    }
}
