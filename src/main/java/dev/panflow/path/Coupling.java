package dev.panflow.path;

import dev.panflow.UserError;
import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * How noise x0 and data x1 are paired in a training batch. {@link #pair} may reorder the rows
 * of x0 (never x1); it runs every step, so implementations allocate nothing per call.
 */
public interface Coupling {
    /** Reorders x0's rows so that row r of x0 goes with row r of x1 (both rows × dim). */
    void pair(MemorySegment x0, MemorySegment x1, int rows, int dim);

    /** "independent" or "ot": the --coupling word, saved in checkpoints. */
    String name();

    Coupling INDEPENDENT = new Coupling() {
        @Override public void pair(MemorySegment x0, MemorySegment x1, int rows, int dim) {}
        @Override public String name() { return "independent"; }
    };

    static Coupling byName(String name, int batch, int dim) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "independent" -> INDEPENDENT;
            case "ot" -> {
                if (batch > 8192) throw new UserError("--coupling ot solves an exact batch×batch assignment; use --batch ≤ 8192 (got " + batch + ")");
                yield new MinibatchOtCoupling(batch, dim);
            }
            default -> throw new UserError("unknown --coupling '" + name + "'; choose independent or ot");
        };
    }
}
