package dev.panflow.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import dev.panflow.tensor.Rng;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    @TempDir Path dir;

    static byte[] idx(int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        return b.put(data).array();
    }

    void writeSplit(String prefix, int n, byte[] labels) throws IOException {
        byte[] px = new byte[n * 4 * 3];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i % 3 == 0 ? 0 : i % 3 == 1 ? 255 : 51);
        Files.write(dir.resolve(prefix + "-images-idx3-ubyte"), idx(new int[] {n, 4, 3}, px));
        Files.write(dir.resolve(prefix + "-labels-idx1-ubyte"), idx(new int[] {labels.length}, labels));
    }

    @Test
    void scalesPixelsAndKeepsLabels() throws IOException {
        writeSplit("train", 3, new byte[] {7, 0, 9});
        writeSplit("t10k", 1, new byte[] {4});
        try (Arena arena = Arena.ofConfined()) {
            FashionMnist fm = FashionMnist.load(dir, "train", arena);
            assertEquals(3, fm.size());
            assertEquals(12, fm.dim());
            assertEquals(9, fm.label(2));
            var s = fm.images().segment();
            assertEquals(-1f, s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
            assertEquals(1f, s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 1));
            assertEquals(51 / 127.5f - 1f, s.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 2), 1e-6);
            assertEquals(1, FashionMnist.load(dir, "test", arena).size());
            int[] labels = new int[5];
            var out = arena.allocate(4L * 5 * 12);
            fm.sample(new Rng(1), out, labels, 5);
            for (int r = 0; r < 5; r++) assertTrue(labels[r] == 7 || labels[r] == 0 || labels[r] == 9);
        }
    }

    @Test
    void mismatchedFilesAreUserErrors() throws IOException {
        writeSplit("train", 3, new byte[] {1, 2});
        writeSplit("t10k", 1, new byte[] {12});
        try (Arena arena = Arena.ofConfined()) {
            assertTrue(assertThrows(UserError.class, () -> FashionMnist.load(dir, "train", arena)).getMessage().contains("labels"));
            assertTrue(assertThrows(UserError.class, () -> FashionMnist.load(dir, "test", arena)).getMessage().contains("label 1 is 12"));
            assertThrows(UserError.class, () -> FashionMnist.load(dir.resolve("none"), "train", arena));
            assertThrows(UserError.class, () -> FashionMnist.load(dir, "valid", arena));
        }
    }
}
