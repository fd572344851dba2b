package dev.panflow.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    @TempDir Path dir;

    static byte[] idx(int dtype, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) dtype).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        b.put(data);
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bo)) {
            gz.write(raw);
        }
        return bo.toByteArray();
    }

    Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    static byte[] ramp(int n) {
        byte[] d = new byte[n];
        for (int i = 0; i < n; i++) d[i] = (byte) (i * 37 + 250);
        return d;
    }

    @Test
    void readsPlainAndGzip() throws IOException {
        byte[] data = ramp(2 * 3 * 4);
        byte[] raw = idx(0x08, new int[] {2, 3, 4}, data);
        for (Path p : new Path[] {write("a", raw), write("a.gz", gzip(raw))}) {
            Idx.Array a = Idx.read(p);
            assertArrayEquals(new int[] {2, 3, 4}, a.dims());
            assertArrayEquals(data, a.data());
            assertEquals(data[5] & 0xff, a.at(5));
        }
    }

    @Test
    void rejectsCorruptFiles() throws IOException {
        byte[] good = idx(0x08, new int[] {3, 5}, ramp(15));
        byte[] badMagic = good.clone();
        badMagic[0] = 1;
        byte[] badType = good.clone();
        badType[2] = 0x0D;
        byte[] badRank = good.clone();
        badRank[3] = 0;
        byte[] hugeDims = idx(0x08, new int[] {1 << 20, 1 << 20}, ramp(4));
        byte[] negative = idx(0x08, new int[] {-1}, ramp(4));
        byte[] longerDecl = idx(0x08, new int[] {1 << 30}, ramp(10)); // declares 1 GiB, holds 10 bytes
        String[][] cases = {
                {"magic", null}, {"dtype", null}, {"rank", null}, {"2^31", null}, {"negative", null},
                {"truncated", null}, {"truncated", null}, {"extra bytes", null}, {"too short", null}, {"truncated", null}};
        byte[][] files = {badMagic, badType, badRank, hugeDims, negative, Arrays.copyOf(good, good.length - 1), longerDecl,
                Arrays.copyOf(good, good.length + 2), new byte[] {0, 0}, Arrays.copyOf(good, 9)};
        for (int i = 0; i < files.length; i++) {
            for (boolean gz : new boolean[] {false, true}) {
                Path p = write("bad" + i + (gz ? ".gz" : ""), gz ? gzip(files[i]) : files[i]);
                UserError e = assertThrows(UserError.class, () -> Idx.read(p), "case " + i + " gz " + gz);
                assertTrue(e.getMessage().contains(cases[i][0]), "case " + i + ": " + e.getMessage());
                assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
            }
        }
    }

    @Test
    void corruptGzipAndMissingFile() throws IOException {
        byte[] z = gzip(idx(0x08, new int[] {100}, ramp(100)));
        Path p = write("cut.gz", Arrays.copyOf(z, z.length / 2));
        assertThrows(UserError.class, () -> Idx.read(p));
        UserError e = assertThrows(UserError.class, () -> Idx.read(dir.resolve("nope")));
        assertTrue(e.getMessage().contains("not found"));
    }
}
