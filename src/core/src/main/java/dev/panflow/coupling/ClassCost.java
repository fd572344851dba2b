package dev.panflow.coupling;

/**
 * The condition term of C²OT (Cheng and Schwing 2025, "The Curse of Conditions", arXiv 2503.10636)
 * for class labels: noise row j was drawn for data row j, so it carries that row's class, and
 * C_ij = ‖x1_i − x0_j‖² + w·mean(C)·[c_i ≠ c_j]. With one-hot classes this is the paper's relaxed
 * penalty w·(1 − cos(c_i, c_j)); the weight is relative to the batch's mean squared distance so
 * one w serves any data scale. An OT plan on it keeps each class's noise close to N(0, I) (the
 * prior sampling sees), where plain OT hands each class the noise nearest its data.
 */
public final class ClassCost {
    private ClassCost() {}

    /** Adds the penalty in place to the n×n row-major cost c (rows data, columns noise); returns w·mean(C). */
    public static double add(float[] c, int[] labels, int n, double weight) {
        if (weight == 0 || n < 2) return 0;
        double sum = 0;
        for (int i = 0, nn = n * n; i < nn; i++) sum += c[i];
        float pen = (float) (weight * sum / ((double) n * n));
        for (int i = 0; i < n; i++) {
            int li = labels[i], ib = i * n;
            for (int j = 0; j < n; j++) if (labels[j] != li) c[ib + j] += pen;
        }
        return pen;
    }
}
