package dev.panflow.ode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A time-dependent vector field v_t(x) evaluated on a batch of rows. */
public interface VelocityField {
    /** Floats per row. */
    int dim();

    /** out[rows×dim] = v_t(x[rows×dim]), every row at time t. out never aliases x. */
    void eval(float t, MemorySegment x, MemorySegment out, int rows);

    /**
     * out[rows×dim] = v_{t_r}(x[rows×dim]), row r at its own time t[r] (rows floats); out never
     * aliases x. This default evaluates each run of consecutive rows with equal times by one
     * {@link #eval} of that run (the same numbers as evaluating those rows alone at that time);
     * fields that take a time per row (a network's time input) override it with one pass.
     */
    default void evalPerRow(MemorySegment t, MemorySegment x, MemorySegment out, int rows) {
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
        long rowBytes = 4L * dim();
        for (int r0 = 0; r0 < rows; ) {
            float tr = t.getAtIndex(f32, r0);
            int r1 = r0 + 1;
            while (r1 < rows && Float.floatToRawIntBits(t.getAtIndex(f32, r1)) == Float.floatToRawIntBits(tr)) r1++;
            eval(tr, x.asSlice(r0 * rowBytes, (r1 - r0) * rowBytes), out.asSlice(r0 * rowBytes, (r1 - r0) * rowBytes), r1 - r0);
            r0 = r1;
        }
    }
}
