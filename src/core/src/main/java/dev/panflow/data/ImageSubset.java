package dev.panflow.data;

import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;

/** Some images of another {@link ImageSet}, by index (a held-out split). */
public final class ImageSubset implements ImageSet {
    private final ImageSet base;
    private final int[] index;
    private final String name;

    public ImageSubset(ImageSet base, int[] index, String name) {
        this.base = base;
        this.index = index.clone();
        this.name = name;
    }

    /** Splits {@code base} at random into {@code [0]} the rest and {@code [1]} a fraction {@code heldOut} of it (at least one image each). */
    public static ImageSubset[] split(ImageSet base, double heldOut, long seed) {
        int n = base.size();
        int k = Math.max(1, Math.min(n - 1, (int) Math.round(n * heldOut)));
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        Rng rng = new Rng(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return new ImageSubset[] {new ImageSubset(base, java.util.Arrays.copyOfRange(perm, k, n), base.name() + " (training part)"),
                new ImageSubset(base, java.util.Arrays.copyOf(perm, k), base.name() + " (held-out part)")};
    }

    @Override public int size() { return index.length; }
    @Override public void copyImage(int i, MemorySegment out, long offset) { base.copyImage(index[i], out, offset); }
    @Override public int label(int i) { return base.label(index[i]); }
    @Override public int channels() { return base.channels(); }
    @Override public int height() { return base.height(); }
    @Override public int width() { return base.width(); }
    @Override public int classes() { return base.classes(); }
    @Override public String name() { return name; }

    @Override
    public void sample(Rng rng, MemorySegment out, int rows) {
        for (int r = 0; r < rows; r++) copyImage(rng.nextInt(index.length), out, (long) r * dim());
    }

    @Override
    public void sample(Rng rng, MemorySegment out, int[] labels, int rows) {
        for (int r = 0; r < rows; r++) {
            int i = rng.nextInt(index.length);
            copyImage(i, out, (long) r * dim());
            labels[r] = label(i);
        }
    }
}
