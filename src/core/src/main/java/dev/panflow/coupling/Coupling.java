package dev.panflow.coupling;

import dev.panflow.InvalidParameterException;
import dev.panflow.dist.Collective;
import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.Map;

/**
 * How noise x0 and data x1 are paired in a training batch. {@link #pair} may reorder the rows
 * of x0 (never x1); it runs every step, so implementations allocate nothing per call.
 */
public interface Coupling {
    /** Reorders x0's rows so that row r of x0 goes with row r of x1 (both rows × dim). */
    void pair(MemorySegment x0, MemorySegment x1, int rows, int dim);

    /**
     * The same with the trainer's seeded Rng, for couplings that draw their pairs (sinkhorn);
     * the others ignore it. The trainer calls this one.
     */
    default void pair(MemorySegment x0, MemorySegment x1, int rows, int dim, Rng rng) { pair(x0, x1, rows, dim); }

    /**
     * The same for a conditional model's batch: labels[r] is the class row r is trained with (the
     * null class of label dropout included), or null for an unconditional one. Only couplings that
     * {@link #pairsClasses()} accept labels.
     */
    default void pair(MemorySegment x0, MemorySegment x1, int[] labels, int rows, int dim, Rng rng) {
        if (labels != null) throw new UnsupportedOperationException("coupling " + name() + " does not pair by class");
        pair(x0, x1, rows, dim, rng);
    }

    /** True when {@link #pair(MemorySegment, MemorySegment, int[], int, int, Rng)} takes labels. */
    default boolean pairsClasses() { return false; }

    /** "independent", "ot" or "sinkhorn": the --coupling word, saved in checkpoints. */
    String name();

    /** Settings saved in checkpoints next to the name, which --resume must match (e.g. sinkhorn_reg). */
    default Map<String, String> metadata() { return Map.of(); }

    Coupling INDEPENDENT = new Coupling() {
        @Override public void pair(MemorySegment x0, MemorySegment x1, int rows, int dim) {}
        @Override public void pair(MemorySegment x0, MemorySegment x1, int[] labels, int rows, int dim, Rng rng) {}
        @Override public boolean pairsClasses() { return true; } // nothing is re-paired, so no class is crossed
        @Override public String name() { return "independent"; }
    };

    static Coupling byName(String name, int batch, int dim) { return byName(name, batch, dim, SinkhornCoupling.DEFAULT_REG); }

    /** sinkhornReg: the entropic regularisation of --coupling sinkhorn, relative to the largest cost. */
    static Coupling byName(String name, int batch, int dim, double sinkhornReg) { return byName(name, batch, dim, sinkhornReg, Double.NaN); }

    /**
     * For a conditional model, {@code classWeight} ≥ 0 says how ot and sinkhorn treat classes
     * (C²OT, Cheng and Schwing 2025): +∞ pairs noise and data only within a class
     * ({@link WithinClassCoupling}, the paper's rule for discrete conditions); a finite w adds
     * w·mean(C) to the cost of every cross-class pair ({@link ClassCost}); 0 ignores the classes.
     * NaN: an unconditional model.
     */
    static Coupling byName(String name, int batch, int dim, double sinkhornReg, double classWeight) {
        return byName(name, batch, dim, sinkhornReg, classWeight, Collective.SINGLE);
    }

    /** With a data-parallel job's collective: sinkhorn's plan is then sharded over its ranks (ot is solved whole on each). */
    static Coupling byName(String name, int batch, int dim, double sinkhornReg, double classWeight, Collective coll) {
        Coupling c = byNameUnconditional(name, batch, dim, sinkhornReg, classWeight, coll);
        return c != INDEPENDENT && classWeight == Double.POSITIVE_INFINITY ? new WithinClassCoupling(c, batch, dim) : c;
    }

    private static Coupling byNameUnconditional(String name, int batch, int dim, double sinkhornReg, double classWeight, Collective coll) {
        if (!Double.isNaN(classWeight) && !(classWeight >= 0))
            throw new InvalidParameterException("classWeight must be ≥ 0 (inf: pair only within a class), got " + classWeight, "classWeight");
        double w = Double.isInfinite(classWeight) ? Double.NaN : classWeight; // the within-class wrapper pairs plain per class
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "independent" -> INDEPENDENT;
            case "ot" -> {
                if (batch > 8192)
                    throw new InvalidParameterException("coupling ot solves an exact batch×batch assignment; use batch (or couplingBatch) ≤ 8192 (got " + batch + ")",
                            "batch", "couplingBatch", "coupling");
                yield new MinibatchOtCoupling(batch, dim, w);
            }
            case "sinkhorn" -> {
                if (batch > 8192)
                    throw new InvalidParameterException("coupling sinkhorn holds two batch×batch matrices; use batch (or couplingBatch) ≤ 8192 (got " + batch + ")",
                            "batch", "couplingBatch", "coupling");
                if (!(sinkhornReg > 0) || !Double.isFinite(sinkhornReg))
                    throw new InvalidParameterException("sinkhornReg must be a positive number (relative to the largest squared distance), got "
                            + sinkhornReg, "sinkhornReg");
                if (coll.size() > 1 && !Double.isNaN(w))
                    throw new InvalidParameterException("a finite classWeight with coupling sinkhorn is not sharded over ranks yet; use classWeight inf (within each class)",
                            "classWeight", "coupling");
                yield new SinkhornCoupling(batch, dim, sinkhornReg, w, coll);
            }
            default -> throw InvalidParameterException.unknown("coupling", name, "independent, ot or sinkhorn");
        };
    }
}
