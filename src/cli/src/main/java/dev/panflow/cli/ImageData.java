package dev.panflow.cli;

import dev.panflow.api.DataSets;
import dev.panflow.api.TrainingData;

/** Opens --data for the eval commands: a built-in set or a folder, with --image-size for folders. */
final class ImageData {
    private ImageData() {}

    static TrainingData open(String name, Integer imageSize) {
        if (imageSize != null && imageSize < 1) throw new dev.panflow.UserError("--image-size must be ≥ 1, got " + imageSize);
        return DataSets.open(name, imageSize == null ? 0 : imageSize);
    }
}
