package dev.panflow.train;

import dev.panflow.UserError;

/** The loss or the gradients stopped being finite: training stops, the last checkpoint stays. */
public final class TrainingDiverged extends UserError {
    public TrainingDiverged(String message) {
        super(message);
    }
}
