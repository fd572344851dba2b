package dev.panflow.coupling;

import dev.panflow.InvalidParameterException;
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

    /** "independent", "ot" or "sinkhorn": the --coupling word, saved in checkpoints. */
    String name();

    /** Settings saved in checkpoints next to the name, which --resume must match (e.g. sinkhorn_reg). */
    default Map<String, String> metadata() { return Map.of(); }

    Coupling INDEPENDENT = new Coupling() {
        @Override public void pair(MemorySegment x0, MemorySegment x1, int rows, int dim) {}
        @Override public String name() { return "independent"; }
    };

    static Coupling byName(String name, int batch, int dim) { return byName(name, batch, dim, SinkhornCoupling.DEFAULT_REG); }

    /** sinkhornReg: the entropic regularisation of --coupling sinkhorn, relative to the largest cost. */
    static Coupling byName(String name, int batch, int dim, double sinkhornReg) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "independent" -> INDEPENDENT;
            case "ot" -> {
                if (batch > 8192)
                    throw new InvalidParameterException("coupling ot solves an exact batch×batch assignment; use batch ≤ 8192 (got " + batch + ")",
                            "batch", "coupling");
                yield new MinibatchOtCoupling(batch, dim);
            }
            case "sinkhorn" -> {
                if (batch > 8192)
                    throw new InvalidParameterException("coupling sinkhorn holds two batch×batch matrices; use batch ≤ 8192 (got " + batch + ")",
                            "batch", "coupling");
                if (!(sinkhornReg > 0) || !Double.isFinite(sinkhornReg))
                    throw new InvalidParameterException("sinkhornReg must be a positive number (relative to the largest squared distance), got "
                            + sinkhornReg, "sinkhornReg");
                yield new SinkhornCoupling(batch, dim, sinkhornReg);
            }
            default -> throw InvalidParameterException.unknown("coupling", name, "independent, ot or sinkhorn");
        };
    }
}
