package dev.panflow.serve;

import dev.panflow.api.Pretrained;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the served model comes from: a checkpoint file (which reload and --watch can read
 * again), or a model that ships with Panflow (which has no file: nothing to re-read).
 */
public sealed interface ModelOrigin {
    /** A checkpoint written by {@code panflow train} or {@code panflow export}. */
    record File(Path path) implements ModelOrigin {
        public File { Objects.requireNonNull(path, "path"); }
    }

    /** A {@link Pretrained} model from the class path, checked against its SHA-256. */
    record Shipped(Pretrained model) implements ModelOrigin {
        public Shipped { Objects.requireNonNull(model, "model"); }
    }

    static ModelOrigin file(Path path) { return new File(path); }

    /** The pretrained model named {@code name}; an unknown name is an InvalidParameterException. */
    static ModelOrigin pretrained(String name) { return new Shipped(Pretrained.byName(name)); }

    /** What messages call it: the file, or "pretrained model NAME". */
    default String describe() {
        return switch (this) {
            case File f -> f.path().toString();
            case Shipped s -> "pretrained model " + s.model().id();
        };
    }
}
