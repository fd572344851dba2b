package dev.panflow.api;

import dev.panflow.UserError;
import dev.panflow.data.ArrayDataSource;
import dev.panflow.data.Datasets;
import dev.panflow.data.PairedArraySource;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;

/** Where training data comes from: a built-in set, a file, {@code float[][]} rows or native memory. */
public final class DataSets {
    private DataSets() {}

    /** The built-in 2-D sets: checkerboard, 8gaussians, moons, circles, spirals. */
    public static List<String> builtInNames() { return Datasets.builtinNames(); }

    /**
     * A built-in set by name: one of {@link #builtInNames()}, or {@code fashion-mnist} /
     * {@code fashion-mnist-test} (28×28 grey images with 10 classes, from Debian's
     * dataset-fashion-mnist).
     */
    public static TrainingData builtIn(String name) {
        String key = name == null ? "" : name.strip();
        if (key.endsWith(".npy") || key.endsWith(".csv")) throw new UserError("'" + name + "' is a file name; use DataSets.file");
        return open(key);
    }

    /** A folder of PNG/JPEG images, as {@link #open(String, int)}. */
    public static TrainingData imageFolder(Path dir, int imageSize) { return open(dir.toString(), imageSize); }

    /** Rows of a {@code .npy} (float32/float64, 2-D, C order) or {@code .csv} file; NaN/Inf are refused. */
    public static TrainingData file(Path file) { return open(file.toString()); }

    /** By the same names and paths the command line takes ({@code checkerboard}, {@code data.npy}, a folder of images, ...). */
    public static TrainingData open(String nameOrPath) {
        return open(nameOrPath, 0);
    }

    /**
     * The same; for a folder of PNG/JPEG images (subfolders as classes) {@code imageSize} > 0
     * centre-crops and resizes every image to imageSize × imageSize, 0 keeps the files' common size.
     */
    public static TrainingData open(String nameOrPath, int imageSize) {
        Arena arena = Arena.ofShared();
        try {
            return new TrainingData(arena, Datasets.open(nameOrPath, imageSize, arena), nameOrPath);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** A copy of these rows (all of the same length, all finite). */
    public static TrainingData of(float[][] rows) {
        if (rows == null || rows.length == 0) throw new UserError("rows is empty");
        int dim = rows[0] == null ? 0 : rows[0].length;
        if (dim == 0) throw new UserError("rows[0] is empty");
        Arena arena = Arena.ofShared();
        try {
            Tensor t = Tensor.allocate(arena, rows.length, dim);
            for (int r = 0; r < rows.length; r++) {
                if (rows[r] == null || rows[r].length != dim)
                    throw new UserError("rows[" + r + "] has " + (rows[r] == null ? 0 : rows[r].length) + " values, rows[0] " + dim);
                MemorySegment.copy(rows[r], 0, t.segment(), ValueLayout.JAVA_FLOAT, 4L * r * dim, dim);
            }
            return new TrainingData(arena, checked(t, "rows"), "array");
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** A copy of {@code rows × dim} float32 values, row-major, from {@code data}. */
    public static TrainingData of(MemorySegment data, int rows, int dim) {
        if (rows < 1 || dim < 1) throw new UserError("rows and dim must be ≥ 1, got " + rows + " and " + dim);
        if (data.byteSize() < 4L * rows * dim) throw new UserError("data holds " + data.byteSize() + " bytes, not " + rows + " × " + dim + " floats");
        Arena arena = Arena.ofShared();
        try {
            Tensor t = Tensor.allocate(arena, rows, dim);
            MemorySegment.copy(data, 0, t.segment(), 0, 4L * rows * dim);
            return new TrainingData(arena, checked(t, "data"), "array");
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Fixed (x0, x1) pairs to train on instead of noise drawn per batch (rectified-flow reflow):
     * copies of {@code rows × dim} float32 values each, row-major, the same row of both one pair;
     * x0 on the standard-normal scale (the path's σ multiplies it). {@code name} is recorded in
     * checkpoints as the data set (the one the pairs stand for).
     */
    public static TrainingData pairs(MemorySegment x0, MemorySegment x1, int rows, int dim, String name) {
        if (rows < 1 || dim < 1) throw new UserError("rows and dim must be ≥ 1, got " + rows + " and " + dim);
        long bytes = 4L * rows * dim;
        if (x0.byteSize() < bytes || x1.byteSize() < bytes)
            throw new UserError("x0 and x1 must hold " + rows + " × " + dim + " floats each, got " + x0.byteSize() + " and " + x1.byteSize() + " bytes");
        Arena arena = Arena.ofShared();
        try {
            Tensor a = Tensor.allocate(arena, rows, dim), b = Tensor.allocate(arena, rows, dim);
            MemorySegment.copy(x0, 0, a.segment(), 0, bytes);
            MemorySegment.copy(x1, 0, b.segment(), 0, bytes);
            checked(a, "x0");
            checked(b, "x1");
            return new TrainingData(arena, new PairedArraySource(a, b, "pairs of " + name), name);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static ArrayDataSource checked(Tensor t, String what) {
        long n = t.size();
        for (long i = 0; i < n; i++) {
            float v = t.segment().getAtIndex(ValueLayout.JAVA_FLOAT, i);
            if (!Float.isFinite(v))
                throw new UserError(what + " row " + i / t.cols() + ", column " + i % t.cols() + " is " + v + " (all values must be finite)");
        }
        return new ArrayDataSource(t, "array");
    }
}
