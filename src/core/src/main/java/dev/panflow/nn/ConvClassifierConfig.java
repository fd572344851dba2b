package dev.panflow.nn;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import java.util.Map;

/**
 * Shape of a {@link ConvClassifier}: images channels × height × width, the channels of its three
 * 3×3 convolutions (the second and third with stride 2), the width of its hidden dense layer (the
 * features FID reads) and the number of classes.
 */
public record ConvClassifierConfig(int imageChannels, int height, int width, int c1, int c2, int c3, int hidden, int classes) {
    public ConvClassifierConfig {
        if (imageChannels < 1 || height < 4 || width < 4) throw new UserError("a feature network needs images of at least 4×4 pixels, got " + imageChannels + "×" + height + "×" + width);
        if (c1 < 1 || c2 < 1 || c3 < 1 || c1 > 512 || c2 > 512 || c3 > 512) throw new UserError("convolution channels must be in [1, 512], got " + c1 + "," + c2 + "," + c3);
        if (hidden < 2 || hidden > 4096) throw InvalidParameterException.range("features", 2, 4096, hidden);
        if (classes < 2) throw new UserError("a feature network is a classifier: it needs labelled images of at least 2 classes, got " + classes);
    }

    /** The defaults for 28×28 grey images: 16, 32, 64 channels and 128 features. */
    public static ConvClassifierConfig standard(int imageChannels, int height, int width, int classes) {
        return new ConvClassifierConfig(imageChannels, height, width, 16, 32, 64, 128, classes);
    }

    /** Output size of a 3×3, stride-2, pad-1 convolution. */
    static int half(int s) { return (s - 1) / 2 + 1; }

    /** Inputs of the dense layer: c3 × (h/4) × (w/4). */
    public int flat() { return c3 * half(half(height)) * half(half(width)); }

    public Map<String, String> toMetadata() {
        return Map.of("image_channels", "" + imageChannels, "height", "" + height, "width", "" + width,
                "conv_channels", c1 + "," + c2 + "," + c3, "features", "" + hidden, "classes", "" + classes);
    }

    /** The config saved by {@link #toMetadata}; {@code file} names it in messages. */
    public static ConvClassifierConfig fromMetadata(Map<String, String> m, String file) {
        try {
            String[] c = m.getOrDefault("conv_channels", "").split(",");
            if (c.length != 3) throw new UserError(file + " has no conv_channels entry: not a Panflow feature network");
            return new ConvClassifierConfig(Integer.parseInt(m.get("image_channels")), Integer.parseInt(m.get("height")), Integer.parseInt(m.get("width")),
                    Integer.parseInt(c[0]), Integer.parseInt(c[1]), Integer.parseInt(c[2]), Integer.parseInt(m.get("features")), Integer.parseInt(m.get("classes")));
        } catch (NumberFormatException | NullPointerException e) {
            throw new UserError(file + ": bad or missing shape metadata in a feature network (" + e.getMessage() + ")");
        }
    }
}
