package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.api.FeatureTrainingOptions;
import dev.panflow.api.ImageFeatures;
import dev.panflow.api.ImageQuality;
import dev.panflow.api.TrainingData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train-features", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fit the small CNN classifier whose hidden layer is the feature map of 'panflow eval fid'",
                "(Panflow's own layers; no Inception weights), print its test accuracy and save it as safetensors."})
final class TrainFeaturesCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, paramLabel = "NAME|DIR",
            description = "Labelled images: fashion-mnist, or a folder of PNG/JPEG files with one subfolder per class.")
    String data;
    @Option(names = "--test-data", paramLabel = "NAME|DIR",
            description = "Held-out images for the accuracy (default: fashion-mnist-test for fashion-mnist, else 10 % of --data held out).")
    String testData;
    @Option(names = "--image-size", paramLabel = "S", description = "For a folder: centre-crop and resize every image to S×S.")
    Integer imageSize;
    @Option(names = "--out", paramLabel = "FILE", description = "The feature network (default: ${DEFAULT-VALUE}).")
    Path out = Path.of(FidCommand.DEFAULT_FEATURES);
    @Option(names = "--epochs", description = "Passes over the training images (default: ${DEFAULT-VALUE}).")
    int epochs = FeatureTrainingOptions.DEFAULT_EPOCHS;
    @Option(names = "--batch", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batch = FeatureTrainingOptions.DEFAULT_BATCH;
    @Option(names = "--lr", description = "Peak AdamW learning rate, cosine-decayed to 0 (default: ${DEFAULT-VALUE}).")
    double lr = FeatureTrainingOptions.DEFAULT_LR;
    @Option(names = "--seed", description = "Seed of the initialisation and the shuffles (default: ${DEFAULT-VALUE}).")
    long seed = 0;
    @Mixin
    Threads threads;
    @Mixin
    ProgressOptions progress;
    @Mixin
    CpuBackendOption backend;

    @Override
    public Integer call() {
        String be = backend.checked("eval train-features");
        FeatureTrainingOptions t = new FeatureTrainingOptions(epochs, batch, lr, FeatureTrainingOptions.DEFAULT_WARMUP, seed, threads.checked());
        String test = testData != null ? testData : ImageQuality.defaultTestData(data);
        long t0 = System.nanoTime();
        try (TrainingData train = ImageData.open(data, imageSize);
             TrainingData held = test == null ? null : ImageData.open(test, imageSize)) {
            ProgressBar bar = new ProgressBar("features", 1, progress).rows(batch, "images");
            long[] last = {0};
            double[] lastLoss = {Double.NaN};
            try (ImageFeatures net = ImageQuality.trainFeatures(train, held, t, be, (step, total, loss) -> {
                if (step == 1) bar.total(total);
                last[0] = step;
                lastLoss[0] = loss;
                bar.update(step, String.format("loss %.4f", loss));
            })) {
                bar.finish(last[0], String.format("loss %.4f", lastLoss[0]));
                if (out.getParent() != null) Files.createDirectories(out.getParent());
                net.save(out);
                System.out.printf("feature network: %d features, test accuracy %.2f %% (%s), %.0f s -> %s%n",
                        net.featureWidth(), 100 * net.testAccuracy(), test == null ? "10 % of " + data + " held out" : test,
                        (System.nanoTime() - t0) / 1e9, out);
            }
        } catch (java.io.IOException e) {
            throw new UserError("cannot write " + out + ": " + e.getMessage());
        }
        return 0;
    }
}
