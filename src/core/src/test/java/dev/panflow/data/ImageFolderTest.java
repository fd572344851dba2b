package dev.panflow.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Folders of PNG/JPEG files the tests write themselves. */
class ImageFolderTest {
    @TempDir
    Path dir;

    static void png(Path p, int w, int h, int rgb) throws IOException {
        Files.createDirectories(p.getParent());
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, x == 0 && y == 0 ? 0 : rgb);
        ImageIO.write(img, p.toString().endsWith(".png") ? "png" : "jpg", p.toFile());
    }

    static float at(ImageFolder f, int image, long i) {
        try (Arena a = Arena.ofConfined()) {
            var seg = a.allocate(4L * f.dim());
            f.copyImage(image, seg, 0);
            return seg.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        }
    }

    @Test
    void classSubfoldersGiveLabelsAndRgbChannels() throws IOException {
        png(dir.resolve("b_red/1.png"), 4, 4, 0xff0000);
        png(dir.resolve("b_red/2.png"), 4, 4, 0xff0000);
        png(dir.resolve("a_grey/1.png"), 4, 4, 0x808080);
        try (Arena arena = Arena.ofShared()) {
            ImageFolder f = ImageFolder.load(dir, 0, arena);
            assertEquals(3, f.size());
            assertEquals(2, f.classes());
            assertEquals(java.util.List.of("a_grey", "b_red"), f.classNames());
            assertEquals(3, f.channels());
            assertEquals(4, f.height());
            assertEquals(0, f.label(0));
            assertEquals(1, f.label(2));
            assertEquals(1f, at(f, 1, 5), 1e-6);            // red channel of a red pixel: 255 → 1
            assertEquals(-1f, at(f, 1, 16 + 5), 1e-6);      // green: 0 → −1
            assertEquals(-1f, at(f, 1, 0), 1e-6);           // the black corner
            assertEquals(128 / 127.5f - 1, at(f, 0, 16 + 5), 1e-6);
        }
    }

    @Test
    void greyFilesGiveOneChannelAndImageSizeCropsAndResizes() throws IOException {
        png(dir.resolve("x.png"), 8, 4, 0x404040);
        png(dir.resolve("y.jpg"), 6, 6, 0x404040);
        try (Arena arena = Arena.ofShared()) {
            ImageFolder f = ImageFolder.load(dir, 2, arena);
            assertEquals(1, f.channels());
            assertEquals(0, f.classes());
            assertEquals(2, f.width());
            assertEquals(2, f.height());
            assertEquals(0x40 / 127.5f - 1, at(f, 0, 3), 0.05);
            var e = assertThrows(UserError.class, () -> ImageFolder.load(dir, 0, arena));
            assertTrue(e.getMessage().contains("sizes differ"), e.getMessage());
            assertTrue(((dev.panflow.InvalidParameterException) e).parameters().contains("imageSize"));
        }
    }

    @Test
    void badInputIsOneClearError() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Path empty = Files.createDirectories(dir.resolve("empty"));
            assertTrue(assertThrows(UserError.class, () -> ImageFolder.load(empty, 0, arena)).getMessage().contains("no PNG or JPEG"));
            Path text = dir.resolve("t");
            png(text.resolve("a.png"), 2, 2, 0);
            Files.writeString(text.resolve("notes.txt"), "hello");
            assertTrue(assertThrows(UserError.class, () -> ImageFolder.load(text, 0, arena)).getMessage().contains("is not an image"));
            Path broken = dir.resolve("b");
            png(broken.resolve("a.png"), 2, 2, 0);
            Files.write(broken.resolve("c.png"), new byte[] {1, 2, 3, 4});
            assertTrue(assertThrows(UserError.class, () -> ImageFolder.load(broken, 0, arena)).getMessage().contains("cannot decode"));
            Path emptyClass = dir.resolve("e");
            png(emptyClass.resolve("one/a.png"), 2, 2, 0);
            Files.createDirectories(emptyClass.resolve("two"));
            assertTrue(assertThrows(UserError.class, () -> ImageFolder.load(emptyClass, 0, arena)).getMessage().contains("holds no PNG"));
        }
    }

    @Test
    void tooManyClassesIsRefused() throws IOException {
        for (int i = 0; i <= ImageFolder.MAX_CLASSES; i++) Files.createDirectories(dir.resolve("c" + i));
        try (Arena arena = Arena.ofShared()) {
            assertTrue(assertThrows(UserError.class, () -> ImageFolder.load(dir, 0, arena)).getMessage().contains("more than the"));
        }
    }
}
