package dev.panflow.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Σ of a vector's lanes in one fixed order: pairwise, lane l + lane l + L/2, then + L/4, …
 * (rotations and lane-wise adds, each exact and the same in every JIT tier). reduceLanes(ADD)
 * leaves the order open, and C2's order differs from the interpreter's, so a gradient summed
 * with it would depend on when the method was compiled.
 */
final class LaneSum {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorShuffle<Float> R8 = rotation(8), R4 = rotation(4), R2 = rotation(2), R1 = rotation(1);

    private LaneSum() {}

    private static VectorShuffle<Float> rotation(int k) {
        return k < L ? VectorShuffle.fromOp(S, i -> (i + k) % L) : null;
    }

    static float of(FloatVector v) {
        if (L > 16) throw new AssertionError("species wider than 16 lanes: " + L);
        if (L == 16) v = v.add(v.rearrange(R8));
        if (L >= 8) v = v.add(v.rearrange(R4));
        v = v.add(v.rearrange(R2));
        v = v.add(v.rearrange(R1));
        return v.lane(0);
    }
}
