package dev.panflow.eval;

import dev.panflow.UserError;
import dev.panflow.backend.Backends;
import dev.panflow.data.ImageSet;
import dev.panflow.io.Safetensors;
import dev.panflow.io.SafetensorsFile;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.AdamW;
import dev.panflow.nn.ConvClassifier;
import dev.panflow.nn.ConvClassifierConfig;
import dev.panflow.nn.SoftmaxCrossEntropy;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A trained {@link ConvClassifier} used as the feature map of FID and KID: fitted on labelled
 * images ({@link #train}), saved as safetensors with its shape, data set and test accuracy in the
 * metadata, and read back ({@link #load}). Owns its kernel threads and buffers until closed.
 */
public final class FeatureNetwork implements AutoCloseable {
    /** The {@code format} metadata value of a saved feature network. */
    public static final String FORMAT = "panflow-features";
    static final int ROWS = 256; // images per forward pass when extracting features

    /** Hears the fitting: called after each step. */
    public interface Progress {
        void step(long step, long total, double loss);
        Progress NONE = (s, t, l) -> {};
    }

    private final Pool pool;
    private final ConvKernels conv;
    private final Workspace ws = new Workspace();
    private final ConvClassifier net;
    private final Tensor x;
    private final int[] labels;
    private double testAccuracy = Double.NaN;
    private String dataName = "";

    private FeatureNetwork(ConvClassifierConfig cfg, String backend, int threads, int rows) {
        pool = new Pool(threads);
        ConvKernels k = null;
        try {
            k = Backends.conv(backend, pool);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        conv = k;
        try {
            net = new ConvClassifier(cfg, conv, pool, ws, rows);
            x = ws.tensor(rows, cfg.imageChannels() * cfg.height() * cfg.width());
            labels = new int[rows];
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public ConvClassifierConfig config() { return net.config; }
    /** Fraction of the held-out images classified right (NaN before it was measured). */
    public double testAccuracy() { return testAccuracy; }
    /** The data set it was fitted on. */
    public String dataName() { return dataName; }
    /** Width of a feature row. */
    public int featureWidth() { return net.config.hidden(); }

    /** Fits a standard-shaped classifier to {@code train} and measures its accuracy on {@code test}. */
    public static FeatureNetwork train(ImageSet train, ImageSet test, FeatureTraining t, Progress progress) {
        return train(train, test, t, Backends.DEFAULT, progress);
    }

    /** The same with the convolutions run by {@code backend} (a CPU backend: jvm, scalar, onednn). */
    public static FeatureNetwork train(ImageSet train, ImageSet test, FeatureTraining t, String backend, Progress progress) {
        if (train.classes() < 2) throw new UserError(train.name() + " has no class labels: a feature network learns to classify (use labelled images, e.g. subfolders as classes)");
        checkSameShape(train, test);
        var cfg = ConvClassifierConfig.standard(train.channels(), train.height(), train.width(), train.classes());
        FeatureNetwork f = new FeatureNetwork(cfg, backend, t.threads(), Math.max(t.batch(), ROWS));
        try {
            f.fit(train, t, progress);
            f.testAccuracy = f.accuracy(test);
            f.dataName = train.name();
            return f;
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    private void fit(ImageSet train, FeatureTraining t, Progress progress) {
        Rng rng = new Rng(t.seed());
        net.init(rng);
        AdamW opt = new AdamW(net.params, ws, 0.9f, 0.999f, 1e-8f, 0f, pool);
        int n = train.size(), b = t.batch();
        long perEpoch = (n + b - 1) / b, total = perEpoch * t.epochs(), step = 0;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        int dim = dim();
        for (int e = 0; e < t.epochs(); e++) {
            for (int i = n - 1; i > 0; i--) { // Fisher–Yates shuffle per epoch
                int j = rng.nextInt(i + 1), tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
            for (int from = 0; from < n; from += b) {
                int rows = Math.min(b, n - from);
                for (int r = 0; r < rows; r++) {
                    train.copyImage(order[from + r], x.segment(), (long) r * dim);
                    labels[r] = train.label(order[from + r]);
                }
                net.forward(x.segment(), rows);
                double loss = net.backward(x.segment(), labels, rows);
                if (!Double.isFinite(loss)) throw new UserError("feature network training diverged (loss " + loss + " at step " + (step + 1) + "); use a smaller lr");
                step++;
                opt.step((float) t.lrAt(step, total));
                progress.step(step, total, loss);
            }
        }
    }

    private int dim() { return net.config.imageChannels() * net.config.height() * net.config.width(); }

    /** Fraction of {@code test}'s images whose predicted class is their label. */
    public double accuracy(ImageSet test) {
        checkShape(test);
        int n = test.size(), dim = dim(), right = 0;
        for (int from = 0; from < n; from += net.maxRows()) {
            int rows = Math.min(net.maxRows(), n - from);
            for (int r = 0; r < rows; r++) test.copyImage(from + r, x.segment(), (long) r * dim);
            net.forward(x.segment(), rows);
            for (int r = 0; r < rows; r++)
                if (SoftmaxCrossEntropy.argmax(net.logits(), r, net.config.classes()) == test.label(from + r)) right++;
        }
        return (double) right / n;
    }

    /** Features [n × featureWidth] of images {@code index[0 … n)} of {@code set}, into {@code out}. */
    public void features(ImageSet set, int[] index, MemorySegment out) {
        checkShape(set);
        int dim = dim();
        run(index.length, out, (r, i) -> set.copyImage(index[i], x.segment(), (long) r * dim));
    }

    /**
     * Features of {@code n} image rows of C·H·W floats; values are clamped to [−1, 1] first, the
     * range of real images (a model's samples overshoot it a little).
     */
    public void features(MemorySegment images, int n, MemorySegment out) {
        int dim = dim();
        run(n, out, (r, i) -> {
            for (int j = 0; j < dim; j++) {
                float v = images.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) i * dim + j);
                x.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) r * dim + j, Float.isNaN(v) ? 0f : Math.max(-1f, Math.min(1f, v)));
            }
        });
    }

    private interface Fill { void row(int r, int i); }

    private void run(int n, MemorySegment out, Fill fill) {
        int d = featureWidth();
        for (int from = 0; from < n; from += net.maxRows()) {
            int rows = Math.min(net.maxRows(), n - from);
            for (int r = 0; r < rows; r++) fill.row(r, from + r);
            net.forward(x.segment(), rows);
            MemorySegment.copy(net.features(), 0, out, 4L * from * d, 4L * rows * d);
        }
    }

    private void checkShape(ImageSet s) {
        var c = net.config;
        if (s.channels() != c.imageChannels() || s.height() != c.height() || s.width() != c.width())
            throw new UserError(s.name() + " holds " + s.channels() + "×" + s.height() + "×" + s.width() + " images; the feature network reads "
                    + c.imageChannels() + "×" + c.height() + "×" + c.width());
    }

    private static void checkSameShape(ImageSet a, ImageSet b) {
        if (a.channels() != b.channels() || a.height() != b.height() || a.width() != b.width())
            throw new UserError(a.name() + " and " + b.name() + " hold images of different shapes");
    }

    /** Writes the weights and metadata atomically. */
    public void save(Path file) {
        Map<String, String> meta = new LinkedHashMap<>(net.config.toMetadata());
        meta.put("format", FORMAT);
        meta.put("data", dataName);
        meta.put("test_accuracy", Double.toString(testAccuracy));
        Safetensors.write(file, net.params.views(net.params.values(), ""), meta);
    }

    /** Reads a network saved by {@link #save}. */
    public static FeatureNetwork load(Path file, int threads) { return load(file, Backends.DEFAULT, threads); }

    /** The same with the convolutions run by {@code backend}. */
    public static FeatureNetwork load(Path file, String backend, int threads) {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            SafetensorsFile f = Safetensors.read(file, arena);
            Map<String, String> meta = f.metadata();
            if (!FORMAT.equals(meta.get("format")))
                throw new UserError(file + " is not a Panflow feature network (no format=" + FORMAT + " in its metadata)");
            FeatureNetwork net = new FeatureNetwork(ConvClassifierConfig.fromMetadata(meta, file.toString()), backend, threads, ROWS);
            try {
                for (var e : net.net.params.views(net.net.params.values(), "").entrySet()) {
                    Tensor src = f.tensors().get(e.getKey());
                    if (src == null || src.size() != e.getValue().size())
                        throw new UserError(file + ": tensor " + e.getKey() + (src == null ? " is missing" : " has the wrong shape"));
                    e.getValue().copyFrom(src);
                }
                net.dataName = meta.getOrDefault("data", "");
                net.testAccuracy = Double.parseDouble(meta.getOrDefault("test_accuracy", "NaN"));
                return net;
            } catch (RuntimeException e) {
                net.close();
                throw e;
            }
        }
    }

    @Override
    public void close() {
        if (conv != null) conv.close();
        ws.close();
        if (pool != null) pool.close();
    }
}
