package dev.panflow.coupling;

import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Pairs noise and data only within a class, as C²OT prescribes for discrete conditions (an
 * infinite cost across classes): the rows of each class (the label the model trains the row
 * with, the null class of label dropout being one more class) are gathered, with the noise rows
 * drawn at the same positions, and the inner coupling pairs them among themselves. The noise is
 * i.i.d., so each class keeps an unskewed N(0, I) sample: the prior sampling starts from.
 * Classes are grouped by a counting sort into arrays made once: pairing allocates nothing.
 */
public final class WithinClassCoupling implements Coupling {
    private final Coupling inner;
    private final int maxRows, maxDim;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment g0, g1; // one class's noise and data rows, contiguous
    private final int[] order;
    private int[] count = new int[16];

    /** inner pairs one class at a time (at most maxRows rows); labels are ≥ 0. */
    public WithinClassCoupling(Coupling inner, int maxRows, int maxDim) {
        if (inner.pairsClasses()) throw new IllegalArgumentException("the inner coupling must pair without classes");
        this.inner = inner;
        this.maxRows = maxRows;
        this.maxDim = maxDim;
        g0 = arena.allocate(4L * maxRows * maxDim, 64);
        g1 = arena.allocate(4L * maxRows * maxDim, 64);
        order = new int[maxRows];
    }

    public Coupling inner() { return inner; }

    @Override public String name() { return inner.name(); }

    @Override public boolean pairsClasses() { return true; }

    @Override
    public Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>(inner.metadata());
        m.put("class_weight", "Infinity");
        return m;
    }

    @Override
    public void pair(MemorySegment x0, MemorySegment x1, int rows, int dim) {
        throw new UnsupportedOperationException("within-class pairing needs the labels");
    }

    @Override
    public void pair(MemorySegment x0, MemorySegment x1, int[] labels, int rows, int dim, Rng rng) {
        if (labels == null) throw new IllegalArgumentException("within-class pairing needs the labels");
        if (rows > maxRows || dim > maxDim) throw new IllegalArgumentException(rows + "×" + dim + " exceeds " + maxRows + "×" + maxDim);
        // Counting sort of the rows by label: class k's rows are order[count[k], count[k + 1]).
        int classes = 0;
        for (int r = 0; r < rows; r++) {
            int l = labels[r];
            if (l < 0) throw new IllegalArgumentException("label " + l + " of row " + r + " is negative");
            classes = Math.max(classes, l + 1);
        }
        if (classes + 1 > count.length) count = new int[classes + 1]; // once, on the first batch with the largest label
        java.util.Arrays.fill(count, 0, classes + 1, 0);
        for (int r = 0; r < rows; r++) count[labels[r] + 1]++;
        for (int k = 0; k < classes; k++) count[k + 1] += count[k];
        for (int r = 0; r < rows; r++) order[count[labels[r]]++] = r; // count[k] ends at class k's end
        long rowBytes = 4L * dim;
        int start = 0;
        for (int k = 0; k < classes; k++) {
            int end = count[k], n = end - start;
            if (n >= 2) {
                for (int q = 0; q < n; q++) {
                    long at = order[start + q] * rowBytes;
                    MemorySegment.copy(x0, at, g0, q * rowBytes, rowBytes);
                    MemorySegment.copy(x1, at, g1, q * rowBytes, rowBytes);
                }
                inner.pair(g0, g1, null, n, dim, rng);
                for (int q = 0; q < n; q++) MemorySegment.copy(g0, q * rowBytes, x0, order[start + q] * rowBytes, rowBytes);
            }
            start = end;
        }
    }
}
