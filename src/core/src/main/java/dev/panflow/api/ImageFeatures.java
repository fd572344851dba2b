package dev.panflow.api;

import dev.panflow.backend.Backends;
import dev.panflow.eval.FeatureNetwork;
import java.nio.file.Path;

/**
 * The feature network that {@link ImageQuality#score} reads: Panflow's small image classifier,
 * fitted by {@link ImageQuality#trainFeatures} or read back from its safetensors file
 * ({@link #load}). Owns kernel threads and off-heap buffers until closed; one caller at a time.
 */
public final class ImageFeatures implements AutoCloseable {
    final FeatureNetwork network;

    ImageFeatures(FeatureNetwork network) { this.network = network; }

    /** Reads a network saved by {@link #save}, its convolutions run by the default backend. */
    public static ImageFeatures load(Path file, int threads) { return load(file, Backends.DEFAULT, threads); }

    /** The same with the convolutions run by {@code backend} (jvm, scalar or onednn). */
    public static ImageFeatures load(Path file, String backend, int threads) {
        return new ImageFeatures(FeatureNetwork.load(file, backend, threads));
    }

    /** Writes the weights, shape, data name and test accuracy to {@code file} (atomically). */
    public void save(Path file) { network.save(file); }

    /** Fraction of the held-out images classified right (NaN when it was never measured). */
    public double testAccuracy() { return network.testAccuracy(); }

    /** The data set it was fitted on. */
    public String dataName() { return network.dataName(); }

    /** Width of a feature row. */
    public int featureWidth() { return network.featureWidth(); }

    /** The image shape it reads, [channels, height, width]. */
    public int[] imageShape() {
        var c = network.config();
        return new int[] {c.imageChannels(), c.height(), c.width()};
    }

    /** Floats per image: channels · height · width. */
    public int imageDim() {
        var c = network.config();
        return c.imageChannels() * c.height() * c.width();
    }

    @Override
    public void close() { network.close(); }
}
