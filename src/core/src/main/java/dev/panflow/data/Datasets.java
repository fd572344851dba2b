package dev.panflow.data;

import dev.panflow.UserError;
import dev.panflow.io.Csv;
import dev.panflow.io.Npy;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Opens a dataset by built-in name or by a .npy/.csv path. */
public final class Datasets {
    private static final List<String> BUILTIN = List.of("checkerboard", "8gaussians", "moons", "circles", "spirals");

    private Datasets() {}

    /** The built-in toy set names, in the order the CLI lists them. */
    public static List<String> builtinNames() { return BUILTIN; }

    /**
     * A built-in toy set by name (case-insensitive), or a user file ending in .npy or .csv loaded
     * into {@code arena}. Bad input of any kind is a {@link UserError}.
     */
    public static DataSource open(String nameOrPath, Arena arena) {
        return open(nameOrPath, 0, arena);
    }

    /**
     * The same, and a folder of PNG/JPEG images ({@link ImageFolder}; {@code imageSize} > 0
     * centre-crops and resizes them to imageSize², 0 keeps their common size). imageSize is only
     * for folders.
     */
    public static DataSource open(String nameOrPath, int imageSize, Arena arena) {
        Path dir = folder(nameOrPath);
        if (dir != null) return ImageFolder.load(dir, imageSize, arena);
        if (imageSize != 0)
            throw new dev.panflow.InvalidParameterException("imageSize applies to a folder of images, not to '" + nameOrPath + "'", "imageSize");
        String key = nameOrPath.strip().toLowerCase(Locale.ROOT);
        switch (key) {
            case "checkerboard": return new Checkerboard();
            case "8gaussians": return new EightGaussians();
            case "moons": return new Moons();
            case "circles": return new Circles();
            case "spirals": return new Spirals();
            case "fashion-mnist": return FashionMnist.load(FashionMnist.dir(), "train", arena);
            case "fashion-mnist-test": return FashionMnist.load(FashionMnist.dir(), "test", arena); // held out: 10 000 images
            default: break;
        }
        boolean npy = key.endsWith(".npy"), csv = key.endsWith(".csv");
        if (!npy && !csv)
            throw new UserError("unknown dataset '" + nameOrPath + "': use checkerboard, 8gaussians, moons, circles, spirals, fashion-mnist, fashion-mnist-test, a .npy/.csv file or a folder of PNG/JPEG images");
        Path p;
        try {
            p = Path.of(nameOrPath);
        } catch (InvalidPathException e) {
            throw new UserError("bad dataset path '" + nameOrPath + "': " + e.getReason());
        }
        if (!Files.exists(p)) throw new UserError("dataset file not found: " + p);
        Tensor t = npy ? Npy.read(p, arena) : Csv.read(p, arena, true);
        check(p, t);
        return new ArrayDataSource(t, p.getFileName().toString());
    }

    /** The folder {@code nameOrPath} names, or null when it names none. */
    private static Path folder(String nameOrPath) {
        try {
            Path p = Path.of(nameOrPath.strip());
            return nameOrPath.isBlank() || !Files.isDirectory(p) ? null : p;
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** Rejects empty data and non-finite values, naming the first bad row and column (1-based). */
    static void check(Path p, Tensor t) {
        if (t.rank() != 2 || t.dim(0) == 0) throw new UserError(p + " has no data rows");
        if (t.dim(1) == 0) throw new UserError(p + " has no columns");
        int rows = t.dim(0), cols = t.dim(1);
        var seg = t.segment();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                float v = seg.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) r * cols + c);
                if (!Float.isFinite(v))
                    throw new UserError(p + ": data row " + (r + 1) + ", column " + (c + 1) + " is " + v
                            + " (counting from 1; all values must be finite)");
            }
    }
}
