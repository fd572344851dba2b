package dev.panflow.api;

import dev.panflow.UserError;
import dev.panflow.train.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A checkpoint cut down to what {@link Flow} needs: the EMA weights and the run's metadata, without
 * the raw weights, Adam moments and RNG state (a quarter of the size). It samples and evaluates
 * likelihoods as the full file does, but cannot be resumed. The {@link Pretrained} models are such files.
 */
public final class SamplingCheckpoint {
    private SamplingCheckpoint() {}

    /** Writes {@code out} (atomically; its folder is made if missing) from the training checkpoint {@code checkpoint}. */
    public static void write(Path checkpoint, Path out) {
        if (!Files.isRegularFile(checkpoint)) throw new UserError("no model file at " + checkpoint);
        Path parent = out.toAbsolutePath().getParent();
        try {
            if (parent != null) Files.createDirectories(parent);
        } catch (IOException e) {
            throw new UserError("cannot make the folder " + parent + ": " + e.getMessage(), e);
        }
        Checkpoint.writeSamplingOnly(checkpoint, out);
    }
}
