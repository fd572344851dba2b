package dev.panflow.nn;

import java.lang.foreign.MemorySegment;

/**
 * A network u(x, t, h) with a second time input h (a step length), as the few-step objectives
 * train it, and its forward-mode pass: the MLP ({@link MlpModel}) and the U-Net.
 */
public interface FewStepModel extends FlowModel {
    /** u for rows with their own t[rows] and h[rows] (h null: every h = 0); labels as {@link #forward(MemorySegment, MemorySegment, int[], int)}. */
    MemorySegment forward(MemorySegment x, MemorySegment t, MemorySegment h, int[] labels, int rows);

    /**
     * Forward mode through the last forward pass: u̇ = ∂u/∂x·ẋ + ∂u/∂t·ṫ + ∂u/∂h·ḣ per row into
     * {@code out} (rows × dim); ṫ and ḣ are the same for every row.
     */
    void jvp(MemorySegment dx, float dt, float dh, MemorySegment out, int rows);
}
