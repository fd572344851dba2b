package dev.panflow.coupling;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import dev.panflow.tensor.Rng;

/**
 * Minibatch optimal-transport coupling (OT-CFM; Tong et al. 2023, Pooladian et al. 2023): within
 * a batch, x0's rows are permuted by the exact assignment that minimises Σ_r ‖x1_r − x0_σ(r)‖²,
 * the empirical W2 coupling between the two batches (uniform weights, so an optimal plan is a
 * permutation). The marginals stay those of the independent coupling; paths cross less.
 */
public final class MinibatchOtCoupling implements Coupling {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private final LinearAssignment lap;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment scratch;
    private final float[] a, b;
    private final int maxRows, maxDim;

    public MinibatchOtCoupling(int maxRows, int maxDim) { this(maxRows, maxDim, Double.NaN); }

    /** classWeight ≥ 0: a conditional model's coupling with C²OT's class term ({@link ClassCost}); NaN: none. */
    public MinibatchOtCoupling(int maxRows, int maxDim, double classWeight) {
        if (!Double.isNaN(classWeight) && !(classWeight >= 0 && classWeight < Double.POSITIVE_INFINITY))
            throw new IllegalArgumentException("classWeight must be finite and ≥ 0 (or NaN), got " + classWeight);
        this.classWeight = classWeight;
        this.maxRows = maxRows;
        this.maxDim = maxDim;
        lap = new LinearAssignment(maxRows);
        scratch = arena.allocate(4L * maxRows * maxDim, 64);
        a = new float[maxRows * maxDim];
        b = new float[maxRows * maxDim];
    }

    private double lastCost;
    private final double classWeight;

    @Override public String name() { return "ot"; }

    @Override public boolean pairsClasses() { return !Double.isNaN(classWeight); }

    @Override
    public Map<String, String> metadata() { return pairsClasses() ? Map.of("class_weight", Double.toString(classWeight)) : Map.of(); }

    /** Total squared distance of the last pairing (the minibatch W2² times rows). */
    public double lastCost() { return lastCost; }

    @Override
    public void pair(MemorySegment x0, MemorySegment x1, int rows, int dim) { pair(x0, x1, null, rows, dim, null); }

    @Override
    public void pair(MemorySegment x0, MemorySegment x1, int[] labels, int rows, int dim, Rng rng) {
        if (labels != null && !pairsClasses()) throw new UnsupportedOperationException("this ot coupling was made without a class weight");
        if (rows > maxRows || dim > maxDim) throw new IllegalArgumentException(rows + "×" + dim + " exceeds " + maxRows + "×" + maxDim);
        if (rows < 2) return;
        int cells = rows * dim;
        MemorySegment.copy(x1, F32, 0, a, 0, cells);
        MemorySegment.copy(x0, F32, 0, b, 0, cells);
        float[] c = lap.cost();
        // C[i][j] = ‖x1_i − x0_j‖²: rows are data points, columns noise points.
        for (int i = 0; i < rows; i++) {
            int ib = i * dim, cb = i * rows;
            for (int j = 0; j < rows; j++) {
                int jb = j * dim;
                float s = 0;
                for (int k = 0; k < dim; k++) {
                    float diff = a[ib + k] - b[jb + k];
                    s += diff * diff;
                }
                c[cb + j] = s;
            }
        }
        if (labels != null) ClassCost.add(c, labels, rows, classWeight);
        lastCost = lap.solve(rows);
        long rowBytes = 4L * dim;
        for (int i = 0; i < rows; i++) MemorySegment.copy(x0, lap.columnOf(i) * rowBytes, scratch, i * rowBytes, rowBytes);
        MemorySegment.copy(scratch, 0, x0, 0, rows * rowBytes);
    }
}
