package dev.panflow.api;

import dev.panflow.data.DataSource;
import dev.panflow.data.ImageDataSource;
import java.lang.foreign.Arena;

/**
 * Data to train on, made by {@link DataSets}; owns the off-heap copy of a file's or an array's
 * rows until closed (a {@link Trainer} closes the data it was given when it is closed).
 */
public final class TrainingData implements AutoCloseable {
    private final Arena arena;
    final DataSource source;
    /** The name recorded in checkpoints ({@code panflow nll} reopens built-in sets by it). */
    final String name;

    TrainingData(Arena arena, DataSource source, String name) {
        this.arena = arena;
        this.source = source;
        this.name = name;
    }

    /** Coordinates per point (pixels per image). */
    public int dim() { return source.dim(); }

    /** A short name for logs: the built-in set's or the file's. */
    public String name() { return source.name(); }

    /** True for images (a U-Net can train on them). */
    public boolean isImages() { return source instanceof ImageDataSource; }

    /** Classes of labelled images (0 if none). */
    public int classes() { return source instanceof ImageDataSource img ? img.classes() : 0; }

    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) arena.close();
    }
}
