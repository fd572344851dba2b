package dev.panflow.io;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Files written whole or not at all (a temp file beside them, forced to disk, renamed over them),
 * for callers outside this package: run logs, pictures. A failure is a UserError naming the file.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    public static void writeString(Path p, String text) {
        IoUtil.writeAtomically(p, ch -> IoUtil.writeFully(ch, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8))));
    }

    public static void writePng(Path p, BufferedImage img) {
        // A memory-cached stream: ImageIO's default file cache registers deleteOnExit, which throws
        // "Shutdown in progress" when the picture is written after Ctrl-C (a run's last loss.png).
        IoUtil.writeAtomically(p, ch -> {
            try (var out = new javax.imageio.stream.MemoryCacheImageOutputStream(Channels.newOutputStream(ch))) {
                if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer in this JDK");
            }
        });
    }
}
