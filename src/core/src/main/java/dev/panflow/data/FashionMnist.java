package dev.panflow.data;

import dev.panflow.UserError;
import dev.panflow.io.Idx;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Fashion-MNIST (Xiao et al. 2017) from the IDX files of Debian's {@code dataset-fashion-mnist}:
 * 28×28 grey images, pixels p ∈ 0…255 mapped to p/127.5 − 1 ∈ [−1, 1], labels 0…9 kept for
 * class-conditional models. Split "train" (60 000 images) or "test" (10 000, the t10k files).
 */
public final class FashionMnist implements ImageSet {
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** System property naming another directory with the same four IDX files. */
    public static final String DIR_PROPERTY = "panflow.fashion-mnist.dir";

    /** Where {@code --data fashion-mnist} looks: the system property if set, else Debian's location. */
    public static Path dir() {
        String d = System.getProperty(DIR_PROPERTY);
        return d == null || d.isBlank() ? DEFAULT_DIR : Path.of(d);
    }
    public static final int CLASSES = 10;
    public static final String[] CLASS_NAMES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final Tensor images;   // [n × h·w]
    private final int[] labels;
    private final int n, h, w;
    private final long rowBytes;
    private final String split;

    private FashionMnist(Tensor images, int[] labels, int h, int w, String split) {
        this.images = images;
        this.labels = labels;
        this.n = labels.length;
        this.h = h;
        this.w = w;
        this.rowBytes = 4L * h * w;
        this.split = split;
    }

    /** Loads a split from {@code dir} (plain or .gz IDX files) into {@code arena}. */
    public static FashionMnist load(Path dir, String split, Arena arena) {
        String prefix = switch (split) {
            case "train" -> "train";
            case "test" -> "t10k";
            default -> throw new UserError("unknown Fashion-MNIST split '" + split + "'; choose train or test");
        };
        if (!Files.isDirectory(dir))
            throw new UserError("Fashion-MNIST not found at " + dir + ": install it with 'apt-get install dataset-fashion-mnist'");
        Idx.Array img = Idx.read(find(dir, prefix + "-images-idx3-ubyte"));
        Idx.Array lab = Idx.read(find(dir, prefix + "-labels-idx1-ubyte"));
        if (img.dims().length != 3)
            throw new UserError(dir + ": " + prefix + " images must be a rank-3 IDX array (n × rows × cols), got " + Arrays.toString(img.dims()));
        if (lab.dims().length != 1)
            throw new UserError(dir + ": " + prefix + " labels must be a rank-1 IDX array, got " + Arrays.toString(lab.dims()));
        int n = img.dim(0), h = img.dim(1), w = img.dim(2);
        if (n == 0 || h == 0 || w == 0) throw new UserError(dir + ": " + prefix + " images are empty " + Arrays.toString(img.dims()));
        if (lab.dim(0) != n)
            throw new UserError(dir + ": " + n + " " + prefix + " images but " + lab.dim(0) + " labels");
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = lab.at(i);
            if (labels[i] >= CLASSES)
                throw new UserError(dir + ": " + prefix + " label " + (i + 1) + " is " + labels[i] + ", expected 0…" + (CLASSES - 1));
        }
        Tensor t = Tensor.allocate(arena, n, h * w);
        MemorySegment s = t.segment();
        byte[] px = img.data();
        for (int i = 0; i < px.length; i++) s.setAtIndex(F32, i, (px[i] & 0xff) / 127.5f - 1f);
        return new FashionMnist(t, labels, h, w, split);
    }

    private static Path find(Path dir, String base) {
        Path plain = dir.resolve(base), gz = dir.resolve(base + ".gz");
        if (Files.exists(gz)) return gz;
        if (Files.exists(plain)) return plain;
        throw new UserError("Fashion-MNIST file " + gz + " not found (install 'dataset-fashion-mnist')");
    }

    @Override public int size() { return n; }
    @Override public int label(int i) { return labels[i]; }

    @Override
    public void copyImage(int i, MemorySegment out, long offset) {
        MemorySegment.copy(images.segment(), i * rowBytes, out, 4L * offset, rowBytes);
    }
    public Tensor images() { return images; }
    @Override public int channels() { return 1; }
    @Override public int height() { return h; }
    @Override public int width() { return w; }
    @Override public int classes() { return CLASSES; }
    @Override public String name() { return "fashion-mnist"; }
    public String split() { return split; }

    @Override
    public void sample(Rng rng, MemorySegment out, int rows) {
        for (int r = 0; r < rows; r++) MemorySegment.copy(images.segment(), rng.nextInt(n) * rowBytes, out, r * rowBytes, rowBytes);
    }

    @Override
    public void sample(Rng rng, MemorySegment out, int[] labelsOut, int rows) {
        for (int r = 0; r < rows; r++) {
            int i = rng.nextInt(n);
            MemorySegment.copy(images.segment(), i * rowBytes, out, r * rowBytes, rowBytes);
            labelsOut[r] = labels[i];
        }
    }
}
