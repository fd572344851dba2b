package dev.panflow.nn;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Mean softmax cross-entropy over a batch of logit rows: L = −(1/n) Σ_r log softmax(z_r)[y_r],
 * dL/dz_r = (softmax(z_r) − onehot(y_r)) / n. Log-sum-exp is shifted by the row maximum. Plain
 * loops: it is O(n·classes), nothing next to the layers before it.
 */
public final class SoftmaxCrossEntropy {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private SoftmaxCrossEntropy() {}

    /** The mean loss of {@code rows} rows of {@code classes} logits; writes dL/dz to {@code dLogits} unless it is null. */
    public static double forwardBackward(MemorySegment logits, int[] labels, MemorySegment dLogits, int rows, int classes) {
        double loss = 0;
        for (int r = 0; r < rows; r++) {
            long o = (long) r * classes;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) max = Math.max(max, logits.getAtIndex(F, o + c));
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.exp(logits.getAtIndex(F, o + c) - max);
            double logZ = max + Math.log(sum);
            int y = labels[r];
            if (y < 0 || y >= classes) throw new IllegalArgumentException("label " + y + " of row " + r + " is not in [0, " + classes + ")");
            loss += logZ - logits.getAtIndex(F, o + y);
            if (dLogits != null)
                for (int c = 0; c < classes; c++) {
                    double p = Math.exp(logits.getAtIndex(F, o + c) - logZ);
                    dLogits.setAtIndex(F, o + c, (float) ((p - (c == y ? 1 : 0)) / rows));
                }
        }
        return loss / rows;
    }

    /** The index of the largest logit of row {@code r} (the predicted class). */
    public static int argmax(MemorySegment logits, int r, int classes) {
        long o = (long) r * classes;
        int best = 0;
        for (int c = 1; c < classes; c++) if (logits.getAtIndex(F, o + c) > logits.getAtIndex(F, o + best)) best = c;
        return best;
    }
}
