package dev.panflow.train;

import dev.panflow.UserError;

/** The loss or the gradients stopped being finite: training stops, the last checkpoint stays. */
public final class TrainingDiverged extends UserError {
    public TrainingDiverged(String message) {
        super(message);
    }

    /** A message that names the library parameters {@code parameters} (e.g. {@code lr}). */
    public TrainingDiverged(String message, String... parameters) {
        super(message, java.util.List.of(parameters));
    }
}
