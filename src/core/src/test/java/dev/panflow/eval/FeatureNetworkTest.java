package dev.panflow.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.ImageSet;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The feature network learns a separable toy task, and survives a save/load with the same features. */
@org.junit.jupiter.api.Tag("slow")
class FeatureNetworkTest {
    /** 8×8 grey images: class k is bright in quadrant k, noise elsewhere. */
    record Quadrants(Tensor images, int[] labels) implements ImageSet {
        static Quadrants make(Arena arena, int n, long seed) {
            Rng rng = new Rng(seed);
            Tensor t = Tensor.allocate(arena, n, 64);
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                y[i] = rng.nextInt(4);
                for (int p = 0; p < 64; p++) {
                    int r = p / 8, c = p % 8, q = (r / 4) * 2 + c / 4;
                    t.set((long) i * 64 + p, (q == y[i] ? 0.6f : -0.6f) + 0.3f * (float) rng.nextGaussian());
                }
            }
            return new Quadrants(t, y);
        }
        @Override public int size() { return labels.length; }
        @Override public void copyImage(int i, MemorySegment out, long offset) { MemorySegment.copy(images.segment(), 256L * i, out, 4 * offset, 256); }
        @Override public int label(int i) { return labels[i]; }
        @Override public int channels() { return 1; }
        @Override public int height() { return 8; }
        @Override public int width() { return 8; }
        @Override public int classes() { return 4; }
        @Override public String name() { return "quadrants"; }
        @Override public void sample(Rng rng, MemorySegment out, int rows) { throw new UnsupportedOperationException(); }
        @Override public void sample(Rng rng, MemorySegment out, int[] l, int rows) { throw new UnsupportedOperationException(); }
    }

    @TempDir
    Path dir;

    @Test
    void learnsSavesLoadsAndScores() {
        try (Arena arena = Arena.ofShared()) {
            Quadrants train = Quadrants.make(arena, 512, 1), test = Quadrants.make(arena, 256, 2);
            FeatureTraining t = new FeatureTraining(3, 32, 3e-3, 10, 0, 2);
            Path file = dir.resolve("f.safetensors");
            Tensor f1 = Tensor.allocate(arena, 20, 128), f2 = Tensor.allocate(arena, 20, 128);
            int[] idx = new int[20];
            for (int i = 0; i < 20; i++) idx[i] = i;
            double acc;
            try (FeatureNetwork net = FeatureNetwork.train(train, test, t, FeatureNetwork.Progress.NONE)) {
                acc = net.testAccuracy();
                assertTrue(acc > 0.9, "test accuracy " + acc);
                net.save(file);
                net.features(test, idx, f1.segment());
            }
            try (FeatureNetwork back = FeatureNetwork.load(file, 1)) {
                assertEquals(acc, back.testAccuracy());
                assertEquals("quadrants", back.dataName());
                back.features(test, idx, f2.segment());
                for (long i = 0; i < f1.size(); i++) assertEquals(f1.get(i), f2.get(i), 1e-5f);
                // Real test images against the training images: near the floor; noise images: far above it.
                Tensor noise = Tensor.allocate(arena, 200, 64);
                new Rng(9).fillGaussian(noise.segment(), noise.size(), 1f);
                FidReport bad = FidEvaluator.evaluate(back, noise.segment(), 200, test, train, 3);
                Tensor real = Tensor.allocate(arena, 200, 64);
                for (int i = 0; i < 200; i++) train.copyImage(i, real.segment(), 64L * i);
                FidReport good = FidEvaluator.evaluate(back, real.segment(), 200, test, null, 3);
                assertTrue(bad.fid() > 5 * good.fid() && bad.fid() > 5 * bad.floorFid(), bad + " / " + good);
                assertTrue(bad.kid().mean() > good.kid().mean(), bad + " / " + good);
                assertEquals(56, good.referenceImages()); // 200 of 256 held out for the floor
            }
        }
    }
}
