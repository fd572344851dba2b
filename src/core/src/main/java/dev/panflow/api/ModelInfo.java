package dev.panflow.api;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a loaded checkpoint holds: the model kind ("mlp" or "unet"), the data dimension, for
 * images the shape [channels, height, width] (else null), the number of classes (0 =
 * unconditional), the training step it was saved at, its probability path, the data it was
 * trained on, whether the EMA weights were loaded, and the file (null for a {@link Pretrained} model).
 */
public record ModelInfo(String kind, int dim, int[] imageShape, int classes, long step, String path, String data,
                        boolean ema, Path file) {
    public ModelInfo {
        imageShape = imageShape == null ? null : imageShape.clone();
    }

    @Override
    public int[] imageShape() { return imageShape == null ? null : imageShape.clone(); }

    public boolean isImageModel() { return imageShape != null; }

    // by the shape's values, not the array's identity (a record's default)
    @Override
    public boolean equals(Object o) {
        return o instanceof ModelInfo m && kind.equals(m.kind) && dim == m.dim && Arrays.equals(imageShape, m.imageShape)
                && classes == m.classes && step == m.step && path.equals(m.path) && data.equals(m.data) && ema == m.ema
                && Objects.equals(file, m.file);
    }

    @Override
    public int hashCode() { return Objects.hash(kind, dim, Arrays.hashCode(imageShape), classes, step, path, data, ema, file); }

    @Override
    public String toString() {
        return "ModelInfo[kind=" + kind + ", dim=" + dim + ", imageShape=" + Arrays.toString(imageShape) + ", classes=" + classes
                + ", step=" + step + ", path=" + path + ", data=" + data + ", ema=" + ema + ", file=" + file + "]";
    }
}
