package dev.panflow.api;

import dev.panflow.UserError;
import dev.panflow.data.ImageSet;
import dev.panflow.data.ImageSubset;
import dev.panflow.eval.FeatureNetwork;
import dev.panflow.eval.FidEvaluator;
import dev.panflow.eval.FidReport;
import dev.panflow.eval.KernelDistance;
import java.lang.foreign.MemorySegment;

/**
 * Image quality figures: fit a feature network ({@link #trainFeatures}) and score generated images
 * with FID and KID beside the real-data floor ({@link #score}). The feature network is Panflow's
 * own small classifier (no Inception weights), so figures compare runs scored with the same
 * network file, not with published Inception FIDs.
 */
public final class ImageQuality {
    private ImageQuality() {}

    /**
     * Fits a feature network to labelled images {@code train}; its accuracy is measured on
     * {@code test}, or, when {@code test} is null, on 10 % of {@code train} held out at random.
     */
    public static ImageFeatures trainFeatures(TrainingData train, TrainingData test, FeatureTrainingOptions t, FeatureTrainingListener progress) {
        return trainFeatures(train, test, t, dev.panflow.backend.Backends.DEFAULT, progress);
    }

    /** The same with the convolutions run by {@code backend} (jvm, scalar or onednn). */
    public static ImageFeatures trainFeatures(TrainingData train, TrainingData test, FeatureTrainingOptions t, String backend, FeatureTrainingListener progress) {
        ImageSet tr = images(train, "data");
        ImageSet te;
        if (test != null) te = images(test, "testData");
        else {
            ImageSubset[] parts = ImageSubset.split(tr, 0.1, t.seed() ^ 0x5DEECE66DL);
            tr = parts[0];
            te = parts[1];
        }
        FeatureNetwork.Progress p = progress == null ? FeatureNetwork.Progress.NONE : progress::onStep;
        return new ImageFeatures(FeatureNetwork.train(tr, te, t.internal(), backend, p));
    }

    /** The set whose images make the floor of {@code referenceName}: Fashion-MNIST's training split for its test split, else none (split the reference). */
    public static String defaultFloorData(String referenceName) {
        return "fashion-mnist-test".equals(referenceName) ? "fashion-mnist" : null;
    }

    /** The held-out set that goes with a training set by default: fashion-mnist-test for fashion-mnist, else none (hold 10 % out). */
    public static String defaultTestData(String trainName) {
        return "fashion-mnist".equals(trainName) ? "fashion-mnist-test" : null;
    }

    /**
     * FID and KID of {@code n} samples (rows of C·H·W floats in [−1, 1]) against {@code reference},
     * with the floor from {@code floorData} (null: n images held out of the reference).
     */
    public static ImageScores score(ImageFeatures features, MemorySegment samples, int n, TrainingData reference, TrainingData floorData, long seed) {
        ImageSet ref = images(reference, "data");
        ImageSet floor = floorData == null ? null : images(floorData, "floorData");
        int dim = features.imageDim();
        if (samples.byteSize() < 4L * n * dim) throw new UserError("samples hold " + samples.byteSize() / 4 + " floats, not " + n + " × " + dim);
        FidReport r = FidEvaluator.evaluate(features.network, samples, n, ref, floor, seed);
        return new ImageScores(r.samples(), r.referenceImages(), r.reference(), r.floorSource(), r.fid(), r.floorFid(), kid(r.kid()), kid(r.floorKid()));
    }

    private static KidEstimate kid(KernelDistance.Estimate e) { return new KidEstimate(e.mean(), e.std(), e.subsets(), e.subsetSize()); }

    private static ImageSet images(TrainingData d, String parameter) {
        if (d.source instanceof ImageSet s) return s;
        throw new UserError(parameter + " '" + d.name + "' is not a set of images (use fashion-mnist, fashion-mnist-test or a folder of images)", java.util.List.of(parameter));
    }
}
