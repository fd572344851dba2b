package dev.panflow.cli;

import static dev.panflow.cli.CliTest.assertUserError;
import static dev.panflow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.io.Npy;
import java.awt.image.BufferedImage;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train --data DIR, eval train-features and eval fid on small folders of PNGs written here. */
class ImageFolderCliTest {
    @TempDir Path dir;

    /** {@code n} w×h images per class in DIR/CLASS/: class k a bright disc on a grey ground, colour k. */
    static Path folder(Path root, int n, int w, int h, int... colours) throws Exception {
        for (int k = 0; k < colours.length; k++) {
            Path sub = Files.createDirectories(root.resolve("class" + k));
            for (int i = 0; i < n; i++) {
                BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
                int cx = 2 + (i * 3) % Math.max(1, w - 4), cy = 2 + (i * 5) % Math.max(1, h - 4);
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++) img.setRGB(x, y, (x - cx) * (x - cx) + (y - cy) * (y - cy) < 5 ? colours[k] : 0x808080);
                ImageIO.write(img, "png", sub.resolve(i + ".png").toFile());
            }
        }
        return root;
    }

    @Tag("slow")
    @Test
    void rgbFolderTrainsSamplesInColourAndScores() throws Exception {
        Path data = folder(dir.resolve("imgs"), 12, 10, 10, 0xd02020, 0x2020d0);
        Path out = dir.resolve("run");
        var r = run("train", "--data", data.toString(), "--image-size", "8", "--model", "unet", "--conditional", "--channels", "4,8",
                "--groups", "2", "--batch", "4", "--steps", "3", "--threads", "2", "--sample-steps", "2", "--samples", "6", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("dim 192"), r.err()); // 3 × 8 × 8
        BufferedImage grid = ImageIO.read(out.resolve("samples.png").toFile());
        assertTrue(grid.getWidth() > 8, "grid " + grid.getWidth());
        try (Arena a = Arena.ofConfined()) {
            assertEquals(192, Npy.read(out.resolve("samples.npy"), a).dim(1));
        }
        Path f = dir.resolve("f.safetensors");
        r = run("eval", "train-features", "--data", data.toString(), "--image-size", "8", "--epochs", "2", "--batch", "8",
                "--threads", "2", "--quiet", "--out", f.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("test accuracy"), r.out());
        r = run("eval", "fid", "--samples", out.resolve("samples.npy").toString(), "--data", data.toString(), "--image-size", "8",
                "--features", f.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("FID") && r.out().contains("KID") && r.out().contains("real floor"), r.out());
        // samples of another shape are refused in one line
        r = run("eval", "fid", "--samples", out.resolve("samples.npy").toString(), "--data", data.toString(), "--image-size", "4",
                "--features", f.toString());
        assertUserError(r, "holds 3×4×4 images");
    }

    @Test
    void badFoldersAreOneLineErrors() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertUserError(run("train", "--data", empty.toString(), "--model", "unet"), "holds no PNG or JPEG images");
        Path mixed = folder(dir.resolve("mixed"), 2, 8, 8, 0xff0000);
        folder(dir.resolve("mixed2"), 1, 12, 12, 0x00ff00);
        Files.move(dir.resolve("mixed2/class0/0.png"), mixed.resolve("class0/big.png"));
        assertUserError(run("train", "--data", mixed.toString(), "--model", "unet"), "--image-size");
        Files.writeString(mixed.resolve("class0/readme.txt"), "x");
        assertUserError(run("train", "--data", mixed.toString(), "--model", "unet", "--image-size", "8"), "is not an image");
        Files.delete(mixed.resolve("class0/readme.txt"));
        Files.write(mixed.resolve("class0/broken.jpg"), new byte[] {(byte) 0xff, (byte) 0xd8, 0, 1});
        assertUserError(run("train", "--data", mixed.toString(), "--model", "unet", "--image-size", "8"), "cannot decode image");
        assertUserError(run("train", "--data", "checkerboard", "--image-size", "8"), "--image-size applies to a folder");
        assertUserError(run("eval", "train-features", "--data", "checkerboard"), "is not a set of images");
        assertUserError(run("eval", "fid", "--samples", dir.resolve("none.npy").toString()), "no samples file");
    }
}
