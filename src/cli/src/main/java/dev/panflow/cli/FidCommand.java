package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.api.ImageFeatures;
import dev.panflow.api.ImageQuality;
import dev.panflow.api.ImageScores;
import dev.panflow.api.TrainingData;
import dev.panflow.io.Npy;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "fid", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"FID and KID of sampled images on the features of a network from 'panflow eval train-features',",
                "printed beside the real-data floor (as many real images not in the reference, scored the same way)."})
final class FidCommand implements Callable<Integer> {
    static final String DEFAULT_FEATURES = "features.safetensors";

    @Option(names = "--samples", required = true, paramLabel = "FILE.npy", description = "Samples from 'panflow sample' (rows of C·H·W floats in [-1, 1]).")
    Path samples;
    @Option(names = "--data", paramLabel = "NAME|DIR", description = "The real images to compare with (default: ${DEFAULT-VALUE}).")
    String data = "fashion-mnist-test";
    @Option(names = "--floor-data", paramLabel = "NAME|DIR",
            description = "Real images for the floor (default: fashion-mnist for fashion-mnist-test, else as many images held out of --data).")
    String floorData;
    @Option(names = "--image-size", paramLabel = "S", description = "For a folder: centre-crop and resize every image to S×S.")
    Integer imageSize;
    @Option(names = "--features", paramLabel = "FILE", description = "The feature network (default: ${DEFAULT-VALUE}).")
    Path features = Path.of(DEFAULT_FEATURES);
    @Option(names = "--seed", description = "Seed of the floor's draw and KID's subsets (default: ${DEFAULT-VALUE}).")
    long seed = 0;
    @Mixin
    Threads threads;
    @Mixin
    CpuBackendOption backend;

    @Override
    public Integer call() {
        if (!Files.isRegularFile(samples)) throw new UserError("no samples file at " + samples);
        if (!Files.isRegularFile(features))
            throw new UserError("no feature network at " + features + " (make one with 'panflow eval train-features --data fashion-mnist')");
        String be = backend.checked("eval fid");
        String floor = floorData != null ? floorData : ImageQuality.defaultFloorData(data);
        try (Arena arena = Arena.ofShared();
             ImageFeatures net = ImageFeatures.load(features, be, threads.checked());
             TrainingData ref = ImageData.open(data, imageSize);
             TrainingData fl = floor == null ? null : ImageData.open(floor, imageSize)) {
            Tensor s = Npy.read(samples, arena);
            int[] c = net.imageShape();
            int dim = net.imageDim();
            if (s.rank() != 2 || s.dim(1) != dim)
                throw new UserError(samples + " holds " + java.util.Arrays.toString(s.shape()) + "; the feature network reads rows of "
                        + c[0] + "×" + c[1] + "×" + c[2] + " = " + dim + " floats");
            ImageScores r = ImageQuality.score(net, s.segment(), s.dim(0), ref, fl, seed);
            System.out.printf("%d samples against %d images of %s (features: %s, test accuracy %.2f %%)%n",
                    r.samples(), r.referenceImages(), data, features, 100 * net.testAccuracy());
            System.out.printf("%-10s %12s %12s%n", "", "samples", "real floor");
            System.out.printf("%-10s %12.3f %12.3f%n", "FID", r.fid(), r.floorFid());
            System.out.printf("%-10s %12.5f %12.5f%n", "KID", r.kid().mean(), r.floorKid().mean());
            System.out.printf("%-10s %12.5f %12.5f%n", "KID std", r.kid().std(), r.floorKid().std());
            System.out.printf("floor: %d real images %s; KID over %d subsets of %d%n", r.samples(),
                    floor == null ? "held out of " + data + " (the reference keeps the rest)" : "of " + floor, r.kid().subsets(), r.kid().subsetSize());
        }
        return 0;
    }
}
