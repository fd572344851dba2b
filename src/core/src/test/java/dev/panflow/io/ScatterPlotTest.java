package dev.panflow.io;

import static org.junit.jupiter.api.Assertions.*;

import dev.panflow.data.Checkerboard;
import dev.panflow.data.EightGaussians;
import dev.panflow.data.Moons;
import dev.panflow.data.Spirals;
import dev.panflow.tensor.Rng;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScatterPlotTest {
    @TempDir Path dir;

    static double luminance(int rgb) {
        return 0.299 * ((rgb >> 16) & 255) + 0.587 * ((rgb >> 8) & 255) + 0.114 * (rgb & 255);
    }

    /** Mean luminance over the square of pixels around the data point (x, y) ∈ [−4, 4]². */
    static double meanAround(BufferedImage img, double x, double y, int size) {
        int cx = (int) ((x + 4) / 8 * size), cy = (int) ((4 - y) / 8 * size), r = size / 32;
        double s = 0;
        int n = 0;
        for (int py = cy - r; py <= cy + r; py++)
            for (int px = cx - r; px <= cx + r; px++) { s += luminance(img.getRGB(px, py)); n++; }
        return s / n;
    }

    @Test
    void checkerboardPngIsBrightOnTheOnSquares() throws IOException {
        int n = 20_000, size = 256;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pts = a.allocate(8L * n);
            new Checkerboard().sample(new Rng(1), pts, n);
            Path p = dir.resolve("cb.png");
            ScatterPlot.writePng(p, pts, n, -4, 4, -4, 4, size, "checkerboard");
            assertFalse(Files.exists(dir.resolve("cb.png.tmp")));
            BufferedImage img = ImageIO.read(p.toFile());
            assertNotNull(img, "decodable PNG");
            assertEquals(size, img.getWidth());
            assertEquals(size, img.getHeight());
            // Centers of on squares (unscaled (a+½, b+½)·2 with a+b even) are bright, off ones background.
            for (int ax = -2; ax <= 1; ax++)
                for (int by = -2; by <= 1; by++) {
                    double x = 2 * (ax + 0.5), y = 2 * (by + 0.5);
                    double lum = meanAround(img, x, y, size);
                    if (((ax + by) & 1) == 0) assertTrue(lum > 60, "on square " + ax + "," + by + ": " + lum);
                    else assertEquals(luminance(ScatterPlot.BACKGROUND), lum, 1e-9, "off square " + ax + "," + by);
                }
            // The title band: some white text pixels in the top rows.
            int white = 0;
            for (int y = 0; y < size / 12; y++)
                for (int x = 0; x < size; x++) if (luminance(img.getRGB(x, y)) > 240) white++;
            assertTrue(white > 20, "title drawn: " + white);
        }
    }

    @Test
    void panelsAreSideBySide() throws IOException {
        int n = 5_000, px = 96;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment g = a.allocate(8L * n), s = a.allocate(8L * n), m = a.allocate(8L * n);
            new Rng(3).fillGaussian(g, 2L * n, 1);
            new Spirals().sample(new Rng(4), s, n);
            new Moons().sample(new Rng(5), m, n);
            Path p = dir.resolve("panels.png");
            ScatterPlot.writePanels(p, List.of(g, s, m), n, new String[] {"t = 0", null, "t = 1"}, -4, 4, -4, 4, px);
            BufferedImage img = ImageIO.read(p.toFile());
            assertEquals(3 * px + 2 * 4, img.getWidth());
            assertEquals(px, img.getHeight());
            // Gaussian panel: bright at the centre, dark in the corner.
            assertTrue(luminance(img.getRGB(px / 2, px / 2)) > 100);
            assertEquals(ScatterPlot.BACKGROUND, img.getRGB(px - 2, px - 2) & 0xFFFFFF);
            // The gap between panels stays black.
            assertEquals(0, img.getRGB(px + 1, px / 2) & 0xFFFFFF);
        }
    }

    @Test
    void emptyAndOutOfRangePointsGiveABackgroundImage() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pts = a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, 100f, 100f, Float.NaN, 0f);
            Path p = dir.resolve("e.png");
            ScatterPlot.writePng(p, pts, 2, -1, 1, -1, 1, 32, null);
            BufferedImage img = ImageIO.read(p.toFile());
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++) assertEquals(ScatterPlot.BACKGROUND, img.getRGB(x, y) & 0xFFFFFF);
            assertThrows(IllegalArgumentException.class, () -> ScatterPlot.writePng(p, pts, 2, 1, -1, -1, 1, 32, null));
        }
    }

    @Test
    void colormapRunsDarkToBright() {
        double prev = -1;
        for (int i = 0; i <= 20; i++) {
            double l = luminance(ScatterPlot.colormap(i / 20.0));
            assertTrue(l > prev, "monotone luminance at " + i);
            prev = l;
        }
        assertTrue(luminance(ScatterPlot.colormap(1)) > 240);
    }

    /** Writes example plots to target/plots for a person to look at (not asserted). */
    @Test
    void examplePlots() {
        Path out = Path.of("target", "plots");
        try (Arena a = Arena.ofConfined()) {
            Files.createDirectories(out);
            int n = 20_000;
            MemorySegment cb = a.allocate(8L * n), eg = a.allocate(8L * n);
            new Checkerboard().sample(new Rng(11), cb, n);
            new EightGaussians().sample(new Rng(12), eg, n);
            ScatterPlot.writePng(out.resolve("checkerboard.png"), cb, n, -4.5, 4.5, -4.5, 4.5, 384, "checkerboard, 20k points");
            ScatterPlot.writePanels(out.resolve("panels.png"), List.of(cb, eg), n, new String[] {"checkerboard", "8 gaussians"},
                    -4.5, 4.5, -4.5, 4.5, 256);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
