package dev.panflow.data;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * The user's own images: a folder of PNG/JPEG files, or a folder of subfolders, one per class
 * (sorted by name: class 0 is the first). Decoded by javax.imageio; grey when every pixel of
 * every file has r = g = b, else RGB (grey files repeated in the three channels; alpha dropped). Pixels p ∈ 0…255 become
 * p/127.5 − 1. With {@code imageSize} > 0 every image is centre-cropped to a square and resized
 * (bilinear) to imageSize², else all files must share one size. Hidden files (".name") are skipped.
 */
public final class ImageFolder implements ImageSet {
    /** The most classes (subfolders) a folder may hold. */
    public static final int MAX_CLASSES = 1000;
    public static final int MAX_SIZE = 1024;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final Tensor images;
    private final int[] labels;
    private final int c, h, w, classes;
    private final String name;
    private final List<String> classNames;

    private ImageFolder(Tensor images, int[] labels, int c, int h, int w, List<String> classNames, String name) {
        this.images = images;
        this.labels = labels;
        this.c = c;
        this.h = h;
        this.w = w;
        this.classNames = List.copyOf(classNames);
        this.classes = classNames.size();
        this.name = name;
    }

    /** True for a name that looks like an image file this reader takes. */
    public static boolean isImageName(String file) {
        String n = file.toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    /** Reads {@code dir} into {@code arena}; {@code imageSize} 0 keeps the files' common size. */
    public static ImageFolder load(Path dir, int imageSize, Arena arena) {
        if (imageSize < 0 || imageSize > MAX_SIZE) throw InvalidParameterException.range("imageSize", 1, MAX_SIZE, imageSize);
        if (!Files.isDirectory(dir)) throw new UserError("no image folder at " + dir);
        List<Path> top = list(dir);
        List<Path> subdirs = top.stream().filter(Files::isDirectory).toList();
        List<Path> files = new ArrayList<>();
        List<Integer> fileLabels = new ArrayList<>();
        List<String> classNames = new ArrayList<>();
        if (subdirs.isEmpty()) {
            for (Path p : top) addFile(p, 0, files, fileLabels);
        } else {
            for (Path p : top)
                if (!Files.isDirectory(p))
                    throw new UserError(p + ": a file beside class subfolders; put every image in a subfolder (one per class), or use a folder without subfolders");
            if (subdirs.size() > MAX_CLASSES)
                throw new UserError(dir + " has " + subdirs.size() + " class subfolders, more than the " + MAX_CLASSES + " allowed");
            for (Path sub : subdirs) {
                int label = classNames.size();
                classNames.add(sub.getFileName().toString());
                int before = files.size();
                for (Path p : list(sub)) {
                    if (Files.isDirectory(p)) throw new UserError(p + ": folders inside a class subfolder are not read; put the images directly in " + sub.getFileName());
                    addFile(p, label, files, fileLabels);
                }
                if (files.size() == before) throw new UserError("class subfolder " + sub + " holds no PNG or JPEG images");
            }
        }
        if (files.isEmpty()) throw new UserError(dir + " holds no PNG or JPEG images");
        if (classNames.size() == 1) classNames.clear(); // one class: nothing to condition on

        // One pass: each file is decoded, checked, and written as RGB into a staging buffer, so only
        // one decoded picture is alive at a time; the result keeps one channel when all were grey.
        int n = files.size();
        BufferedImage first = decode(files.get(0));
        int hh = imageSize > 0 ? imageSize : first.getHeight(), ww = imageSize > 0 ? imageSize : first.getWidth();
        if (imageSize == 0 && (hh > MAX_SIZE || ww > MAX_SIZE))
            throw new InvalidParameterException(ww + "×" + hh + " images are larger than " + MAX_SIZE + "; set imageSize to resize them", "imageSize");
        long plane = (long) hh * ww;
        if ((long) n * 3 * plane > Integer.MAX_VALUE)
            throw new UserError(dir + ": " + n + " images of " + ww + "×" + hh + " are too many to hold; use a smaller imageSize");
        int[] labels = new int[n];
        Tensor t;
        int ch;
        try (Arena staging = Arena.ofConfined()) {
            MemorySegment rgb = staging.allocate(4L * n * 3 * plane, 64);
            boolean colour = false;
            for (int i = 0; i < n; i++) {
                BufferedImage img = i == 0 ? first : decode(files.get(i));
                if (imageSize == 0 && (img.getHeight() != hh || img.getWidth() != ww))
                    throw new InvalidParameterException("image sizes differ: " + files.get(0).getFileName() + " is " + ww + "×" + hh + ", "
                            + files.get(i) + " is " + img.getWidth() + "×" + img.getHeight()
                            + "; set imageSize to centre-crop and resize them all", "imageSize");
                if (imageSize > 0) img = cropResize(img, imageSize);
                colour |= writeRgb(img, rgb, i * 3 * plane);
                labels[i] = classNames.isEmpty() ? 0 : fileLabels.get(i);
            }
            first = null;
            ch = colour ? 3 : 1;
            t = Tensor.allocate(arena, n, (int) (ch * plane));
            for (int i = 0; i < n; i++) // grey: the red plane (r = g = b)
                MemorySegment.copy(rgb, 4L * i * 3 * plane, t.segment(), 4L * i * ch * plane, 4L * ch * plane);
        }
        return new ImageFolder(t, labels, ch, hh, ww, classNames, dir.toString());
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UserError("cannot list " + dir + ": " + e.getMessage());
        }
    }

    private static void addFile(Path p, int label, List<Path> files, List<Integer> labels) {
        if (!isImageName(p.getFileName().toString()))
            throw new UserError(p + " is not an image (only .png, .jpg and .jpeg files are read)");
        files.add(p);
        labels.add(label);
    }

    private static BufferedImage decode(Path p) {
        BufferedImage img;
        try {
            img = ImageIO.read(p.toFile());
        } catch (IOException | RuntimeException e) {
            throw new UserError("cannot decode image " + p + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        }
        if (img == null) throw new UserError("cannot decode image " + p + ": not a PNG or JPEG file");
        if (img.getWidth() < 1 || img.getHeight() < 1) throw new UserError("image " + p + " is empty");
        return img;
    }

    /** The centred square of side min(w, h), resized to s × s. */
    static BufferedImage cropResize(BufferedImage img, int s) {
        int side = Math.min(img.getWidth(), img.getHeight());
        int x0 = (img.getWidth() - side) / 2, y0 = (img.getHeight() - side) / 2;
        BufferedImage out = new BufferedImage(s, s, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(img, 0, 0, s, s, x0, y0, x0 + side, y0 + side, null);
        g.dispose();
        return out;
    }

    /** Writes the image as three planes r, g, b at float index {@code offset}; true if some pixel has r ≠ g or g ≠ b. */
    private static boolean writeRgb(BufferedImage img, MemorySegment out, long offset) {
        int hh = img.getHeight(), ww = img.getWidth();
        long plane = (long) hh * ww;
        boolean colour = false;
        for (int y = 0; y < hh; y++)
            for (int x = 0; x < ww; x++) {
                int rgb = img.getRGB(x, y);
                int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
                colour |= r != g || g != b;
                long o = offset + (long) y * ww + x;
                out.setAtIndex(F, o, r / 127.5f - 1f);
                out.setAtIndex(F, o + plane, g / 127.5f - 1f);
                out.setAtIndex(F, o + 2 * plane, b / 127.5f - 1f);
            }
        return colour;
    }

    /** The class names (subfolder names) in label order; empty for an unlabelled folder. */
    public List<String> classNames() { return classNames; }

    @Override public int size() { return labels.length; }
    @Override public int label(int i) { return labels[i]; }
    @Override public int channels() { return c; }
    @Override public int height() { return h; }
    @Override public int width() { return w; }
    @Override public int classes() { return classes; }
    @Override public String name() { return name; }

    @Override
    public void copyImage(int i, MemorySegment out, long offset) {
        long bytes = 4L * dim();
        MemorySegment.copy(images.segment(), i * bytes, out, 4L * offset, bytes);
    }

    @Override
    public void sample(Rng rng, MemorySegment out, int rows) {
        for (int r = 0; r < rows; r++) copyImage(rng.nextInt(labels.length), out, (long) r * dim());
    }

    @Override
    public void sample(Rng rng, MemorySegment out, int[] labelsOut, int rows) {
        for (int r = 0; r < rows; r++) {
            int i = rng.nextInt(labels.length);
            copyImage(i, out, (long) r * dim());
            labelsOut[r] = labels[i];
        }
    }
}
