package dev.panflow.io;

import dev.panflow.UserError;
import java.awt.image.BufferedImage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * A PNG of images laid out in a grid: rows of C×H×W floats in [−1, 1] (C = 1 grey, C = 3 RGB),
 * each pixel drawn as a {@code zoom}×{@code zoom} block, with a 2-pixel dark border between images.
 */
public final class ImageGrid {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final int GAP = 2;

    /** The most images one grid shows (20 × 20): beyond it a grid is a wall, not a picture. */
    public static final int MAX_IMAGES = 400;

    private ImageGrid() {}

    /**
     * How {@code n} images go into a readable grid: the first {@code shown} of them in {@code cols}
     * columns at {@code zoom}. Square-ish; for a class-conditional set whose image i has class
     * i mod classes, cols is a multiple of classes, so each column holds one class.
     */
    public record Layout(int shown, int cols, int zoom) {
        public int rows() { return (shown + cols - 1) / cols; }
    }

    public static Layout layout(int n, int classes, int h, int w) {
        if (n < 1) throw new IllegalArgumentException("n must be ≥ 1");
        int shown = Math.min(n, MAX_IMAGES);
        int cols;
        if (classes > 0 && classes <= shown) {
            int m = Math.max(1, (int) Math.round(Math.sqrt(shown) / classes));
            cols = m * classes;
            if (shown > cols) shown = shown / cols * cols; // whole rows: every column keeps its class
        } else cols = Math.min(shown, (int) Math.ceil(Math.sqrt(shown)));
        int rows = (shown + cols - 1) / cols;
        // zoom 2 while the picture stays within about 2000 pixels a side, else 1
        int zoom = Math.max(cols * w, rows * h) * 2 <= 2000 ? 2 : 1;
        return new Layout(shown, cols, zoom);
    }

    public static void writePng(Path p, MemorySegment images, int n, int c, int h, int w, int cols, int zoom) {
        if (c != 1 && c != 3) throw new UserError("an image grid needs 1 or 3 channels, got " + c);
        if (n < 1 || cols < 1 || zoom < 1) throw new IllegalArgumentException("n, cols and zoom must be ≥ 1");
        int rows = (n + cols - 1) / cols;
        int cw = w * zoom + GAP, chh = h * zoom + GAP;
        BufferedImage img = new BufferedImage(cols * cw + GAP, rows * chh + GAP, BufferedImage.TYPE_INT_RGB);
        int bg = 0x202020;
        for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) img.setRGB(x, y, bg);
        long per = (long) c * h * w;
        for (int k = 0; k < n; k++) {
            int ox = GAP + (k % cols) * cw, oy = GAP + (k / cols) * chh;
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++) {
                    int rgb = 0;
                    for (int ch = 0; ch < 3; ch++) {
                        float v = images.getAtIndex(F, k * per + (long) (c == 1 ? 0 : ch) * h * w + (long) i * w + j);
                        int b = Float.isNaN(v) ? 0 : Math.round(Math.max(0f, Math.min(1f, (v + 1f) / 2f)) * 255f);
                        rgb = (rgb << 8) | b;
                    }
                    for (int dy = 0; dy < zoom; dy++)
                        for (int dx = 0; dx < zoom; dx++) img.setRGB(ox + j * zoom + dx, oy + i * zoom + dy, rgb);
                }
        }
        AtomicFiles.writePng(p, img);
    }
}
