package dev.panflow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import java.io.ByteArrayInputStream;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Files that lie about their sizes: each is refused with a clear UserError before any large allocation. */
class HostileInputTest {
    static String st(String json, int dataBytes) {
        try (Arena a = Arena.ofConfined()) {
            byte[] f = SafetensorsTest.file(json, new byte[dataBytes]);
            return assertThrows(UserError.class, () -> Safetensors.read(ByteSource.of("x.st", f), a)).getMessage();
        }
    }

    static String npy(byte[] f) {
        try (Arena a = Arena.ofConfined()) {
            return assertThrows(UserError.class, () -> Npy.read(ByteSource.of("x.npy", f), a)).getMessage();
        }
    }

    @Test
    void safetensorsShapesAndOffsetsMustMatchTheFile() {
        // shape product overflows a long; Integer.MAX_VALUE elements; offsets past the end; negative offsets
        assertTrue(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}", 4)
                .contains("bad shape"));
        assertTrue(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,4]}}", 4).contains("too large"));
        assertTrue(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000],\"data_offsets\":[0,4000000]}}", 4).contains("run past the end"));
        assertTrue(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4).contains("bad data_offsets"));
        assertTrue(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", 8).contains("overlaps"));
        assertTrue(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,9223372036854775807]}}", 4).contains("past the end"));
        assertTrue(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4).contains("bad shape"));
        assertTrue(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4).contains("bad shape"));
        assertTrue(st("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4).contains("data_offsets"));
        assertTrue(st("[" + "[".repeat(100) + "]".repeat(100) + "]", 0).contains("nesting"));
        // a header length near 2^63 or past the file
        byte[] f = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE - 3).array();
        try (Arena a = Arena.ofConfined()) {
            String m = assertThrows(UserError.class, () -> Safetensors.read(ByteSource.of("x.st", f), a)).getMessage();
            assertTrue(m.contains("does not fit"), m);
        }
    }

    @Test
    void jsonValueCountIsBounded() {
        String many = "[" + "0,".repeat(99) + "0]";
        assertEquals(100, ((java.util.List<?>) Json.parse(many, 101)).size());
        assertThrows(Json.ParseException.class, () -> Json.parse(many, 100));
    }

    @Test
    void npyShapeMustMatchTheDataLength() {
        assertTrue(npy(NpyTest.npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 2147483647), }",
                new byte[8])).contains("more than 2^31"));
        assertTrue(npy(NpyTest.npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 2), }",
                new byte[8])).contains("truncated"));
        assertTrue(npy(NpyTest.npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2), }", new byte[8]))
                .contains("bad dimension"));
        assertTrue(npy(NpyTest.npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 2), }",
                new byte[8])).contains("malformed"));
        // a v2 header length of 4 GiB in a 20-byte file
        byte[] v2 = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
        assertTrue(npy(v2).contains("truncated"));
        assertTrue(npy(new byte[] {(byte) 0x93, 'N', 'U', 'M'}).contains("not a .npy"));
    }

    @Test
    void csvRefusesEndlessLinesAndDevices() throws Exception {
        byte[] longLine = new byte[Csv.MAX_LINE + 10];
        java.util.Arrays.fill(longLine, (byte) '1');
        try (Arena a = Arena.ofConfined()) {
            String m = assertThrows(UserError.class,
                    () -> Csv.read("x.csv", new ByteArrayInputStream(longLine), a, true)).getMessage();
            assertTrue(m.contains("line 1 is longer than"), m);
            byte[] nan = "x,y\n\n1,2\n3,nan\n".getBytes(StandardCharsets.UTF_8);
            m = assertThrows(UserError.class, () -> Csv.read("x.csv", new ByteArrayInputStream(nan), a, true)).getMessage();
            assertTrue(m.contains("line 4, column 2: 'nan' is NaN"), m);
            byte[] big = "1,2\n3,1e39\n".getBytes(StandardCharsets.UTF_8);
            m = assertThrows(UserError.class, () -> Csv.read("x.csv", new ByteArrayInputStream(big), a, true)).getMessage();
            assertTrue(m.contains("line 2, column 2: '1e39' is Infinity as float32"), m);
            Path dev = Path.of("/dev/zero");
            if (Files.exists(dev)) {
                m = assertThrows(UserError.class, () -> Csv.read(dev, a, true)).getMessage();
                assertTrue(m.contains("not a regular file"), m);
            }
        }
    }
}
