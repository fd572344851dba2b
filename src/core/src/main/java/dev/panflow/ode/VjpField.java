package dev.panflow.ode;

import java.lang.foreign.MemorySegment;

/**
 * A velocity field that also gives vector–Jacobian products gᵀ = uᵀ ∂v_t/∂x per row: what the
 * divergence in a log-likelihood needs (exact: one product per dimension; Hutchinson: one per
 * probe). Any model with a backward pass with respect to its input can offer it.
 */
public interface VjpField extends VelocityField {
    /** Most rows one {@link #eval} can take while keeping its pass for {@link #vjp}. */
    int maxRows();

    /**
     * g[rows×dim] = per row uᵀ·∂v/∂x at the point and time of the last {@link #eval}, which must
     * have had the same rows (at most {@link #maxRows()}), or of the last {@link #evalPerRow}
     * (the network fields keep that pass too; a field left with the default evalPerRow, which
     * evaluates runs of equal times separately, must have a vjp that does not depend on the
     * pass, e.g. a linear field). g never aliases u.
     */
    void vjp(MemorySegment u, MemorySegment g, int rows);
}
