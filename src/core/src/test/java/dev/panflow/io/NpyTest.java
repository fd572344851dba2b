package dev.panflow.io;

import static org.junit.jupiter.api.Assertions.*;

import dev.panflow.UserError;
import dev.panflow.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @TempDir Path dir;

    /** An .npy file as numpy lays it out: magic, version, length, header padded to 64, data. */
    static byte[] npy(int major, String dict, byte[] data) {
        int lenBytes = major == 1 ? 2 : 4;
        byte[] d = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int pre = 8 + lenBytes, hlen = d.length + 1;
        hlen += (64 - (pre + hlen) % 64) % 64;
        ByteBuffer b = ByteBuffer.allocate(pre + hlen + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) b.putShort((short) hlen); else b.putInt(hlen);
        b.put(d);
        for (int k = d.length; k < hlen - 1; k++) b.put((byte) ' ');
        b.put((byte) '\n').put(data);
        return b.array();
    }

    static byte[] f8(double... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double x : v) b.putDouble(x);
        return b.array();
    }

    static byte[] f4(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    Path file(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    String error(Path p) {
        try (Arena a = Arena.ofConfined()) {
            return assertThrows(UserError.class, () -> Npy.read(p, a)).getMessage();
        }
    }

    @Test
    void writeThenReadRoundTrips() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            float[] v = {1.5f, -2, 3e-20f, Float.MAX_VALUE, 0, -0f};
            Path p = dir.resolve("x.npy");
            Npy.write(p, Tensor.of(a, v, 3, 2));
            Tensor t = Npy.read(p, a);
            assertArrayEquals(new int[] {3, 2}, t.shape());
            assertArrayEquals(v, t.toArray());
            byte[] raw = Files.readAllBytes(p);
            int hlen = (raw[8] & 0xFF) | (raw[9] & 0xFF) << 8;
            assertEquals(0, (10 + hlen) % 64, "data starts 64-byte aligned");
            assertEquals('\n', raw[10 + hlen - 1]);
            assertEquals(10 + hlen + 24, raw.length);
            String header = new String(raw, 10, hlen, StandardCharsets.ISO_8859_1).strip();
            assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", header);
            assertEquals(1, raw[6]);
            assertFalse(Files.exists(dir.resolve("x.npy.tmp")));
        }
    }

    @Test
    void rankOneWritesAndIsRejectedOnRead() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            Path p = dir.resolve("v.npy");
            Npy.write(p, Tensor.of(a, new float[] {1, 2, 3}, 3));
            byte[] raw = Files.readAllBytes(p);
            assertTrue(new String(raw, 10, 80, StandardCharsets.ISO_8859_1).contains("'shape': (3,), }"));
            assertTrue(error(p).endsWith("expected a 2-D array (rows × dim), got shape (3,)"), error(p));
            assertThrows(IllegalArgumentException.class, () -> Npy.write(p, Tensor.allocate(a, 2, 2, 2)));
        }
    }

    @Test
    void writeReplacesAnExistingFile() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            Path p = file("y.npy", new byte[] {1, 2, 3});
            Npy.write(p, Tensor.of(a, new float[] {7}, 1, 1));
            assertEquals(7f, Npy.read(p, a).get(0));
            try (var s = Files.list(dir)) { assertEquals(1, s.count()); }
        }
    }

    @Test
    void readsFloat64AndVersions2And3AsNumpyWritesThem() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            Path p8 = file("f8.npy", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", f8(1, 2, 3, 4.25, -5, 1e-3)));
            Tensor t = Npy.read(p8, a);
            assertArrayEquals(new int[] {2, 3}, t.shape());
            assertArrayEquals(new float[] {1, 2, 3, 4.25f, -5, 1e-3f}, t.toArray());

            Path v2 = file("v2.npy", npy(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", f4(9, 8)));
            assertArrayEquals(new float[] {9, 8}, Npy.read(v2, a).toArray());
            // v3: UTF-8 header; also key order and quoting need not match numpy's exactly.
            Path v3 = file("v3.npy", npy(3, "{\"shape\": (2,1), 'fortran_order': False, 'descr': '<f4'}", f4(6, 5)));
            Tensor t3 = Npy.read(v3, a);
            assertArrayEquals(new int[] {2, 1}, t3.shape());
            assertArrayEquals(new float[] {6, 5}, t3.toArray());
            Path empty = file("e.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }", new byte[0]));
            assertArrayEquals(new int[] {0, 4}, Npy.read(empty, a).shape());
        }
    }

    @Test
    void truncatedAndOverlongData() throws IOException {
        String d = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        assertTrue(error(file("t.npy", npy(1, d, f4(1, 2, 3, 4, 5)))).endsWith("t.npy is truncated: header says 24 bytes of data, file has 20"));
        assertTrue(error(file("l.npy", npy(1, d, f4(1, 2, 3, 4, 5, 6, 7)))).contains("header says 24 bytes of data, file has 28"));
        // A file cut inside the header.
        byte[] full = npy(1, d, f4(1, 2, 3, 4, 5, 6));
        assertTrue(error(file("h.npy", java.util.Arrays.copyOf(full, 40))).contains("is truncated"));
        assertTrue(error(file("s.npy", java.util.Arrays.copyOf(full, 7))).contains("not a .npy file"));
    }

    @Test
    void hugeClaimedLengthsFailWithoutAllocating() throws IOException {
        // v2 header length 0xFFFFFFF0 in a 100-byte file.
        byte[] b = npy(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", f4(1));
        b[8] = (byte) 0xF0; b[9] = b[10] = b[11] = (byte) 0xFF;
        assertTrue(error(file("big.npy", b)).contains("is truncated"));
        // Shape claiming 2^31·2^31 elements.
        String e = error(file("shape.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 2147483647), }", f4(1))));
        assertTrue(e.contains("more than 2^31"), e);
        e = error(file("neg.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2), }", f4(1))));
        assertTrue(e.contains("bad dimension"), e);
    }

    @Test
    void unsupportedContentIsAUserError() throws IOException {
        String e = error(file("be.npy", npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 1), }", f4(1))));
        assertTrue(e.contains("unsupported dtype '>f4'"), e);
        e = error(file("i8.npy", npy(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }", f8(1))));
        assertTrue(e.contains("unsupported dtype '<i8'"), e);
        e = error(file("rec.npy", npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 1), }", f4(1))));
        assertTrue(e.contains("unsupported dtype"), e);
        e = error(file("f.npy", npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }", f4(1))));
        assertTrue(e.contains("Fortran"), e);
        e = error(file("r3.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1), }", f4(1))));
        assertTrue(e.endsWith("expected a 2-D array (rows × dim), got shape (1, 1, 1)"), e);
        e = error(file("r0.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", f4(1))));
        assertTrue(e.contains("got shape ()"), e);
        file("ver.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", f4(1)));
        assertDoesNotThrow(() -> { try (Arena a = Arena.ofConfined()) { Npy.read(dir.resolve("ver.npy"), a); } });
        byte[] v9 = Files.readAllBytes(dir.resolve("ver.npy"));
        v9[6] = 9;
        assertTrue(error(file("v9.npy", v9)).contains("unsupported .npy version 9.0"));
        e = error(file("bad.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1) ", f4(1))));
        assertTrue(e.contains("malformed .npy header"), e);
        e = error(file("miss.npy", npy(1, "{'descr': '<f4', 'shape': (1, 1)}", f4(1))));
        assertTrue(e.contains("no 'fortran_order'"), e);
        e = error(file("text.npy", "hello world, not numpy".getBytes()));
        assertTrue(e.contains("not a .npy file"), e);
        e = error(dir.resolve("absent.npy"));
        assertTrue(e.contains("file not found") && e.contains("absent.npy"), e);
    }
}
