package dev.panflow.io;

import static org.junit.jupiter.api.Assertions.*;

import dev.panflow.UserError;
import dev.panflow.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTest {
    @TempDir Path dir;

    Tensor read(String text) throws IOException {
        Path p = Files.writeString(dir.resolve("in.csv"), text);
        try (Arena a = Arena.ofConfined()) {
            Tensor t = Csv.read(p, a);
            return Tensor.of(Arena.ofAuto(), t.toArray(), t.shape());
        }
    }

    String error(String text) throws IOException {
        Path p = Files.writeString(dir.resolve("bad.csv"), text);
        try (Arena a = Arena.ofConfined()) {
            return assertThrows(UserError.class, () -> Csv.read(p, a)).getMessage();
        }
    }

    @Test
    void plainNumbersHeaderBlankLinesAndCrlf() throws IOException {
        Tensor t = read("x, y\r\n\r\n1,2\r\n  -3.5e1 , .25\r\n\n4.,+5\n");
        assertArrayEquals(new int[] {3, 2}, t.shape());
        assertArrayEquals(new float[] {1, 2, -35, 0.25f, 4, 5}, t.toArray());
        Tensor noHeader = read("\uFEFF1,2,3\n");
        assertArrayEquals(new int[] {1, 3}, noHeader.shape());
        Tensor special = read("nan,inf,-Infinity\n");
        float[] s = special.toArray();
        assertTrue(Float.isNaN(s[0]) && s[1] == Float.POSITIVE_INFINITY && s[2] == Float.NEGATIVE_INFINITY);
        assertArrayEquals(new int[] {0, 0}, read("").shape());
        assertArrayEquals(new int[] {0, 2}, read("a,b\n").shape());
    }

    @Test
    void raggedRowsNameTheLine() throws IOException {
        assertTrue(error("1,2\n\n3,4,5\n").endsWith("bad.csv: line 3 has 3 columns, earlier rows have 2"));
        assertTrue(error("a,b,c\n1,2\n").endsWith("line 2 has 2 columns but the header has 3"));
    }

    @Test
    void nonNumbersNameLineAndColumn() throws IOException {
        assertTrue(error("1,2\n3,abc\n").endsWith("bad.csv: line 2, column 2: 'abc' is not a number"));
        assertTrue(error("1,2\n3,\n").endsWith("line 2, column 2: '' is not a number"));
        assertTrue(error("1,2\n1f,2\n").contains("'1f' is not a number"));
        assertTrue(error("1,2\n0x10,2\n").contains("'0x10' is not a number"));
        // Only the first line can be a header.
        assertTrue(error("1,2\nx,y\n").contains("line 2, column 1: 'x'"));
        assertTrue(error("1;2\n3;4\n").endsWith("line 2, column 1: '3;4' is not a number (values must be separated by commas)"));
    }

    @Test
    void missingAndBinaryFiles() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            String e = assertThrows(UserError.class, () -> Csv.read(dir.resolve("none.csv"), a)).getMessage();
            assertTrue(e.contains("file not found") && e.contains("none.csv"), e);
            Path bin = Files.write(dir.resolve("bin.csv"), new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 1});
            assertTrue(assertThrows(UserError.class, () -> Csv.read(bin, a)).getMessage().contains("not a UTF-8"));
        }
    }

    @Test
    void writeThenReadRoundTripsExactly() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            float[] v = {1, -2.5f, 0.1f, 1e-30f, 3.4028235e38f, (float) Math.PI, Float.NaN, Float.NEGATIVE_INFINITY};
            Path p = dir.resolve("o.csv");
            Csv.write(p, Tensor.of(a, v, 4, 2));
            assertFalse(Files.exists(dir.resolve("o.csv.tmp")));
            assertTrue(Files.readString(p).startsWith("1.0,-2.5\n0.1,1.0E-30\n"));
            assertTrue(Files.readString(p).endsWith("nan,-inf\n"));
            Tensor back = Csv.read(p, a);
            assertArrayEquals(new int[] {4, 2}, back.shape());
            assertArrayEquals(v, back.toArray());
            assertThrows(IllegalArgumentException.class, () -> Csv.write(p, Tensor.allocate(a, 3)));
        }
    }
}
