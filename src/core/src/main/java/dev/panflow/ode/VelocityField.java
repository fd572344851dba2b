package dev.panflow.ode;

import java.lang.foreign.MemorySegment;

/** A time-dependent vector field v_t(x) evaluated on a batch of rows. */
public interface VelocityField {
    /** Floats per row. */
    int dim();

    /** out[rows×dim] = v_t(x[rows×dim]), every row at time t. out never aliases x. */
    void eval(float t, MemorySegment x, MemorySegment out, int rows);
}
