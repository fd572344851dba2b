package dev.panflow.coupling;

import dev.panflow.dist.Collective;
import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Entropic minibatch OT coupling, as OT-CFM trains it (Tong et al. 2023): the Sinkhorn plan
 * between the batch's data and noise on squared distance (normalised by its maximum, reg
 * relative to it; {@link Sinkhorn}), then for each data row a noise row drawn from that row of
 * the plan with the trainer's seeded Rng. Draws are independent, so a noise row may be used by
 * several data rows and another by none (OT-CFM samples the pairs from the whole plan, so it
 * repeats both sides; drawing per data row keeps x1 and its order as they were). The cost of a
 * pairing is a few sweeps over a batch×batch kernel, instead of an exact assignment.
 */
public final class SinkhornCoupling implements Coupling {
    /** Default regularisation (relative to the largest squared distance), as in OT-CFM. */
    public static final double DEFAULT_REG = 0.05;
    /** Sweeps at most, and the row-marginal error (relative) that stops them earlier. */
    public static final int MAX_ITER = 100;
    public static final double TOL = 1e-2;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private final Sinkhorn sinkhorn;
    private final double reg;
    private final int maxIter;
    private final double tol;
    private final boolean vectorized;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment scratch;
    private final float[] a, bt;
    private final int[] choice;
    private final MemorySegment choices; // sharded: the draws, each rank's rows in place, summed
    private final int maxRows, maxDim;

    public SinkhornCoupling(int maxRows, int maxDim, double reg) { this(maxRows, maxDim, reg, MAX_ITER, TOL, true); }

    /** classWeight ≥ 0: a conditional model's coupling with C²OT's class term ({@link ClassCost}); NaN: none. */
    public SinkhornCoupling(int maxRows, int maxDim, double reg, double classWeight) { this(maxRows, maxDim, reg, classWeight, Collective.SINGLE); }

    /** The same, its plan sharded over {@code coll}'s ranks. */
    public SinkhornCoupling(int maxRows, int maxDim, double reg, double classWeight, Collective coll) {
        this(maxRows, maxDim, reg, MAX_ITER, TOL, true, coll);
        if (!Double.isNaN(classWeight) && !(classWeight >= 0 && classWeight < Double.POSITIVE_INFINITY))
            throw new IllegalArgumentException("classWeight must be finite and ≥ 0 (or NaN), got " + classWeight);
        this.classWeight = classWeight;
    }

    /** maxIter sweeps at most, stopping earlier at row error tol; vectorized = false: the scalar twin. */

    public SinkhornCoupling(int maxRows, int maxDim, double reg, int maxIter, double tol, boolean vectorized) {
        this(maxRows, maxDim, reg, maxIter, tol, vectorized, Collective.SINGLE);
    }

    /**
     * The plan sharded over {@code coll}'s ranks ({@link Sinkhorn}): each builds and scales its
     * block of rows, draws the noise rows for its data rows (every rank consumes the whole
     * stream of uniforms, so each row gets the draw it would get in one process), and one
     * all-reduce shares the draws, so every rank ends with the same pairing.
     */
    public SinkhornCoupling(int maxRows, int maxDim, double reg, int maxIter, double tol, boolean vectorized, Collective coll) {
        if (!(reg > 0) || !Double.isFinite(reg)) throw new IllegalArgumentException("reg must be positive, got " + reg);
        this.maxRows = maxRows;
        this.maxDim = maxDim;
        this.reg = reg;
        this.maxIter = maxIter;
        this.tol = tol;
        this.vectorized = vectorized;
        sinkhorn = new Sinkhorn(maxRows, vectorized, coll);
        scratch = arena.allocate(4L * maxRows * maxDim, 64);
        choices = coll.size() > 1 ? arena.allocate(4L * maxRows, 64) : null;
        a = new float[maxRows * maxDim];
        bt = new float[maxRows * maxDim];
        choice = new int[maxRows];
    }

    @Override public String name() { return "sinkhorn"; }

    private double classWeight = Double.NaN;

    @Override public boolean pairsClasses() { return !Double.isNaN(classWeight); }

    @Override public Map<String, String> metadata() {
        return pairsClasses() ? Map.of("sinkhorn_reg", Double.toString(reg), "class_weight", Double.toString(classWeight))
                : Map.of("sinkhorn_reg", Double.toString(reg));
    }

    public double reg() { return reg; }

    /** The solver, for its last plan and statistics. */
    public Sinkhorn solver() { return sinkhorn; }

    /** Noise row drawn for data row r by the last pairing. */
    public int choiceOf(int r) { return choice[r]; }

    @Override
    public void pair(MemorySegment x0, MemorySegment x1, int rows, int dim) {
        throw new UnsupportedOperationException("the sinkhorn coupling draws its pairs: call pair with an Rng");
    }

    @Override
    public void pair(MemorySegment x0, MemorySegment x1, int rows, int dim, Rng rng) { pair(x0, x1, null, rows, dim, rng); }

    @Override
    public void pair(MemorySegment x0, MemorySegment x1, int[] labels, int rows, int dim, Rng rng) {
        if (labels != null && !pairsClasses()) throw new UnsupportedOperationException("this sinkhorn coupling was made without a class weight");
        if (rows > maxRows || dim > maxDim) throw new IllegalArgumentException(rows + "×" + dim + " exceeds " + maxRows + "×" + maxDim);
        if (rows < 2) return;
        int cells = rows * dim;
        MemorySegment.copy(x1, F32, 0, a, 0, cells);
        // Noise transposed (dim-major), so a cost row is built in SIMD lanes over the noise points.
        for (int j = 0; j < rows; j++)
            for (int k = 0; k < dim; k++) bt[k * rows + j] = x0.getAtIndex(F32, (long) j * dim + k);
        float[] c = sinkhorn.cost();
        // C[i][j] = ‖x1_i − x0_j‖²: rows are data points, columns noise points (sharded: this rank's rows).
        int bound = S.loopBound(rows), len = S.length();
        int first = sinkhorn.firstRow(rows), mine = sinkhorn.rowCount(rows);
        for (int i = 0; i < mine; i++) {
            int ib = (first + i) * dim, cb = i * rows;
            int j = 0;
            if (vectorized) {
                for (; j < bound; j += len) {
                    FloatVector s = FloatVector.zero(S);
                    for (int k = 0; k < dim; k++) {
                        FloatVector d = FloatVector.fromArray(S, bt, k * rows + j).sub(a[ib + k]);
                        s = d.fma(d, s);
                    }
                    s.intoArray(c, cb + j);
                }
            }
            for (; j < rows; j++) {
                float s = 0;
                for (int k = 0; k < dim; k++) {
                    float d = a[ib + k] - bt[k * rows + j];
                    s = Math.fma(d, d, s);
                }
                c[cb + j] = s;
            }
        }
        if (labels != null) {
            if (sinkhorn.collective().size() > 1) throw new UnsupportedOperationException("a sharded plan with a class term is not implemented");
            ClassCost.add(c, labels, rows, classWeight);
        }
        sinkhorn.solve(rows, reg, maxIter, tol);
        if (!sinkhorn.finiteCost()) return; // non-finite data: leave the pairing independent (training reports the divergence)
        long rowBytes = 4L * dim;
        if (choices == null) {
            for (int i = 0; i < rows; i++) choice[i] = sinkhorn.sampleColumn(rows, i, rng.nextDouble());
        } else {
            choices.fill((byte) 0);
            for (int i = 0; i < rows; i++) {
                double uniform = rng.nextDouble(); // every rank walks the whole stream
                if (i >= first && i < first + mine) choices.setAtIndex(F32, i, sinkhorn.sampleColumn(rows, i - first, uniform));
            }
            sinkhorn.collective().allreduceSum(choices, rows); // column indices < 2^24: exact in float
            for (int i = 0; i < rows; i++) choice[i] = (int) choices.getAtIndex(F32, i);
        }
        for (int i = 0; i < rows; i++) MemorySegment.copy(x0, choice[i] * rowBytes, scratch, i * rowBytes, rowBytes);
        MemorySegment.copy(scratch, 0, x0, 0, rows * rowBytes);
    }
}
