package dev.panflow.io;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * PNG density plots of 2-D points: a per-pixel histogram, smoothed by a small box filter,
 * shown on a log scale through an inferno-like colormap on a near-black background.
 */
public final class ScatterPlot {
    static {
        System.setProperty("java.awt.headless", "true"); // before any AWT class loads
    }

    /** Background of pixels with no points. */
    static final int BACKGROUND = 0x0B0B12;
    private static final int GAP = 4;
    // Colormap anchors (dark purple → red → orange → pale yellow), evenly spaced on [0, 1].
    private static final int[] ANCHORS = {0x1B0C41, 0x4A0C6B, 0x781C6D, 0xA52C60, 0xCF4446, 0xED6925, 0xFB9B06, 0xF7D13D, 0xFCFFA4};

    private ScatterPlot() {}

    /**
     * One square plot, {@code sizePx × sizePx}, of {@code rows} points (x, y float32 pairs) over
     * [xmin, xmax] × [ymin, ymax]; {@code title} (or null) is drawn at the top. Atomic write.
     */
    public static void writePng(Path p, MemorySegment pts, int rows, double xmin, double xmax,
                                double ymin, double ymax, int sizePx, String title) {
        writePanels(p, List.of(pts), rows, title == null ? null : new String[] {title}, xmin, xmax, ymin, ymax, sizePx);
    }

    /**
     * A row of square panels (e.g. samples at t = 0, ¼, ½, ¾, 1), each {@code panelPx} wide with a
     * 4-pixel gap, same axes for all; each panel is normalised to its own densest pixel.
     */
    public static void writePanels(Path p, List<MemorySegment> panels, int rows, String[] titles,
                                   double xmin, double xmax, double ymin, double ymax, int panelPx) {
        BufferedImage img = render(panels, rows, titles, xmin, xmax, ymin, ymax, panelPx);
        AtomicFiles.writePng(p, img);
    }

    static BufferedImage render(List<MemorySegment> panels, int rows, String[] titles,
                                double xmin, double xmax, double ymin, double ymax, int panelPx) {
        if (panels.isEmpty()) throw new IllegalArgumentException("no panels");
        if (panelPx < 8 || panelPx > 8192) throw new IllegalArgumentException("panel size " + panelPx + " px");
        if (!(xmax > xmin) || !(ymax > ymin)) throw new IllegalArgumentException("empty plot range");
        int k = panels.size();
        BufferedImage img = new BufferedImage(k * panelPx + (k - 1) * GAP, panelPx, BufferedImage.TYPE_INT_RGB);
        int[] buf = new int[panelPx * panelPx];
        for (int q = 0; q < k; q++) {
            density(panels.get(q), rows, xmin, xmax, ymin, ymax, panelPx, buf);
            img.setRGB(q * (panelPx + GAP), 0, panelPx, panelPx, buf, 0, panelPx);
        }
        if (titles != null) drawTitles(img, titles, panelPx);
        return img;
    }

    /** Fills {@code rgb} (n × n, row 0 at the top = ymax) with the coloured log density. */
    private static void density(MemorySegment pts, int rows, double xmin, double xmax, double ymin, double ymax,
                                int n, int[] rgb) {
        float[] h = new float[n * n];
        double sx = n / (xmax - xmin), sy = n / (ymax - ymin);
        for (int r = 0; r < rows; r++) {
            double x = pts.getAtIndex(IoUtil.F32, 2L * r), y = pts.getAtIndex(IoUtil.F32, 2L * r + 1);
            double cx = (x - xmin) * sx, cy = (ymax - y) * sy;
            if (!(cx >= 0 && cx < n && cy >= 0 && cy < n)) continue; // also drops NaN
            h[(int) cy * n + (int) cx]++;
        }
        // Box blur of radius ≈ n/256 (at least 1) so sparse points read as a density, not dust.
        int rad = Math.max(1, n / 256);
        float[] s = boxBlur(h, n, rad);
        float max = 0;
        for (float v : s) max = Math.max(max, v);
        double norm = max > 0 ? 1 / Math.log1p(max * 8) : 0;
        for (int i = 0; i < n * n; i++) {
            // log(1 + 8c) / log(1 + 8 max): single stray points stay visible, dense areas saturate slowly.
            rgb[i] = s[i] <= 0 ? BACKGROUND : colormap(0.15 + 0.85 * Math.log1p(s[i] * 8) * norm);
        }
    }

    /** Separable box filter with running sums, O(n²) for any radius (sum, not mean: only ratios matter). */
    private static float[] boxBlur(float[] a, int n, int rad) {
        float[] t = new float[n * n], out = new float[n * n];
        for (int y = 0; y < n; y++) {
            float acc = 0;
            for (int x = 0; x < Math.min(rad, n); x++) acc += a[y * n + x];
            for (int x = 0; x < n; x++) {
                if (x + rad < n) acc += a[y * n + x + rad];
                if (x - rad - 1 >= 0) acc -= a[y * n + x - rad - 1];
                t[y * n + x] = acc;
            }
        }
        for (int x = 0; x < n; x++) {
            float acc = 0;
            for (int y = 0; y < Math.min(rad, n); y++) acc += t[y * n + x];
            for (int y = 0; y < n; y++) {
                if (y + rad < n) acc += t[(y + rad) * n + x];
                if (y - rad - 1 >= 0) acc -= t[(y - rad - 1) * n + x];
                out[y * n + x] = Math.max(acc, 0); // counts are integers, so float sums are exact; max() guards anyway
            }
        }
        return out;
    }

    /** Piecewise-linear colormap, v in [0, 1]. */
    static int colormap(double v) {
        v = Math.clamp(v, 0.0, 1.0) * (ANCHORS.length - 1);
        int i = Math.min((int) v, ANCHORS.length - 2);
        double f = v - i;
        int a = ANCHORS[i], b = ANCHORS[i + 1];
        int r = (int) Math.round(((a >> 16) & 255) * (1 - f) + ((b >> 16) & 255) * f);
        int g = (int) Math.round(((a >> 8) & 255) * (1 - f) + ((b >> 8) & 255) * f);
        int bl = (int) Math.round((a & 255) * (1 - f) + (b & 255) * f);
        return (r << 16) | (g << 8) | bl;
    }

    private static void drawTitles(BufferedImage img, String[] titles, int panelPx) {
        try {
            Graphics2D g = img.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            for (int q = 0; q < titles.length; q++) {
                if (titles[q] == null || titles[q].isEmpty()) continue;
                // Largest font up to panelPx/24 whose line fits the panel width.
                int size = Math.max(10, panelPx / 24);
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, size));
                while (size > 8 && g.getFontMetrics().stringWidth(titles[q]) > panelPx - 8)
                    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, --size));
                var fm = g.getFontMetrics();
                int x0 = q * (panelPx + GAP), w = fm.stringWidth(titles[q]);
                int tx = x0 + Math.max(2, (panelPx - w) / 2), ty = 4 + fm.getAscent();
                g.setColor(new Color(0, 0, 0, 140)); // a dark band keeps text readable over dense points
                g.fillRect(x0, 0, panelPx, fm.getHeight() + 8);
                g.setColor(Color.WHITE);
                g.drawString(titles[q], tx, ty);
            }
            g.dispose();
        } catch (RuntimeException | LinkageError | InternalError noFonts) {
            // A JDK without fonts (fontconfig missing) still gets its plot, without titles.
        }
    }
}
