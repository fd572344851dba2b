package dev.panflow.api;

import java.nio.file.Path;

/**
 * What a loaded checkpoint holds: the model kind ("mlp" or "unet"), the data dimension, for
 * images the shape [channels, height, width] (else null), the number of classes (0 =
 * unconditional), the training step it was saved at, its probability path, the data it was
 * trained on, whether the EMA weights were loaded, and the file.
 */
public record ModelInfo(String kind, int dim, int[] imageShape, int classes, long step, String path, String data,
                        boolean ema, Path file) {
    public ModelInfo {
        imageShape = imageShape == null ? null : imageShape.clone();
    }

    @Override
    public int[] imageShape() { return imageShape == null ? null : imageShape.clone(); }

    public boolean isImageModel() { return imageShape != null; }
}
