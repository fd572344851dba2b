package dev.panflow.eval;

import dev.panflow.UserError;
import dev.panflow.data.ImageSet;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Scores generated images with a {@link FeatureNetwork}: Gaussian statistics of the features of
 * the samples and of the reference images give FID ({@link FrechetDistance}); KID comes from the
 * raw features ({@link KernelDistance}). The floor is computed the same way for real images:
 * {@code n} images of a separate set (Fashion-MNIST's training split against its test split), or,
 * without one, {@code n} images held out of the reference at random (the reference then keeps the rest).
 */
public final class FidEvaluator {
    public static final int KID_SUBSETS = 10, KID_SUBSET_SIZE = 1000;

    private FidEvaluator() {}

    /** {@code samples}: n rows of C·H·W floats; {@code floorSet} may be null (then the reference is split). */
    public static FidReport evaluate(FeatureNetwork net, MemorySegment samples, int n, ImageSet reference, ImageSet floorSet, long seed) {
        if (n < 2) throw new UserError("FID needs at least 2 samples, got " + n);
        int d = net.featureWidth();
        Rng rng = new Rng(seed);
        int[] refIndex, floorIndex;
        if (floorSet == null) {
            if (reference.size() < n + 2)
                throw new UserError(reference.name() + " holds " + reference.size() + " images: too few to hold " + n + " out for the real-data floor and keep a reference (use fewer samples)");
            int[] perm = permutation(reference.size(), rng);
            floorIndex = java.util.Arrays.copyOf(perm, n);
            refIndex = java.util.Arrays.copyOfRange(perm, n, perm.length);
        } else {
            if (floorSet.size() < n) throw new UserError(floorSet.name() + " holds " + floorSet.size() + " images, fewer than the " + n + " samples");
            refIndex = identity(reference.size());
            floorIndex = java.util.Arrays.copyOf(permutation(floorSet.size(), rng), n);
        }
        if (refIndex.length < 2) throw new UserError(reference.name() + " holds too few images for a covariance");
        try (Arena arena = Arena.ofConfined()) {
            Tensor ref = Tensor.allocate(arena, refIndex.length, d), gen = Tensor.allocate(arena, n, d), real = Tensor.allocate(arena, n, d);
            net.features(reference, refIndex, ref.segment());
            net.features(samples, n, gen.segment());
            net.features(floorSet == null ? reference : floorSet, floorIndex, real.segment());
            GaussianStats sr = GaussianStats.of(ref.segment(), refIndex.length, d);
            double fid = FrechetDistance.of(GaussianStats.of(gen.segment(), n, d), sr);
            double floor = FrechetDistance.of(GaussianStats.of(real.segment(), n, d), sr);
            var kid = KernelDistance.of(gen.segment(), n, ref.segment(), refIndex.length, d, KID_SUBSETS, KID_SUBSET_SIZE, seed + 1);
            var kidFloor = KernelDistance.of(real.segment(), n, ref.segment(), refIndex.length, d, KID_SUBSETS, KID_SUBSET_SIZE, seed + 1);
            String floorName = floorSet == null ? n + " images held out of " + reference.name() : floorSet.name();
            return new FidReport(n, refIndex.length, reference.name(), floorName, fid, floor, kid, kidFloor);
        }
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    private static int[] permutation(int n, Rng rng) {
        int[] a = identity(n);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
