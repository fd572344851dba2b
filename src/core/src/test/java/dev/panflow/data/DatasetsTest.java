package dev.panflow.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.panflow.UserError;
import dev.panflow.io.Npy;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir Path dir;

    @Test
    void builtinNamesOpen() {
        try (Arena a = Arena.ofConfined()) {
            assertEquals(5, Datasets.builtinNames().size());
            for (String n : Datasets.builtinNames()) assertEquals(n, Datasets.open(n, a).name());
            assertInstanceOf(Checkerboard.class, Datasets.open(" CheckerBoard ", a));
        }
    }

    @Test
    void unknownNameIsAUserError() {
        try (Arena a = Arena.ofConfined()) {
            UserError e = assertThrows(UserError.class, () -> Datasets.open("swissroll", a));
            assertEquals("unknown dataset 'swissroll': use checkerboard, 8gaussians, moons, circles, spirals, fashion-mnist, fashion-mnist-test, a .npy/.csv file or a folder of PNG/JPEG images", e.getMessage());
            e = assertThrows(UserError.class, () -> Datasets.open(dir.resolve("nope.npy").toString(), a));
            assertTrue(e.getMessage().contains("nope.npy") && e.getMessage().contains("not found"), e.getMessage());
        }
    }

    @Test
    void csvAndNpyFilesOpen() throws IOException {
        Path csv = dir.resolve("d.csv");
        Files.writeString(csv, "a,b,c\n1,2,3\n4,5,6\n");
        try (Arena a = Arena.ofConfined()) {
            DataSource ds = Datasets.open(csv.toString(), a);
            assertEquals(3, ds.dim());
            assertEquals("d.csv", ds.name());
            MemorySegment out = a.allocate(4 * 3 * 50);
            ds.sample(new Rng(1), out, 50);
            for (int r = 0; r < 50; r++) {
                float first = out.getAtIndex(ValueLayout.JAVA_FLOAT, 3L * r);
                assertTrue(first == 1 || first == 4);
                assertEquals(first + 1, out.getAtIndex(ValueLayout.JAVA_FLOAT, 3L * r + 1));
                assertEquals(first + 2, out.getAtIndex(ValueLayout.JAVA_FLOAT, 3L * r + 2));
            }
            Path npy = dir.resolve("d.NPY");
            Npy.write(npy, Tensor.of(a, new float[] {1, 2, 3, 4}, 2, 2));
            assertEquals(2, Datasets.open(npy.toString(), a).dim());
        }
    }

    @Test
    void nonFiniteAndEmptyDataAreRejected() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            Path npy = dir.resolve("nan.npy");
            Npy.write(npy, Tensor.of(a, new float[] {1, 2, 3, Float.NaN, 5, 6}, 3, 2));
            UserError e = assertThrows(UserError.class, () -> Datasets.open(npy.toString(), a));
            assertTrue(e.getMessage().contains("row 2, column 2 is NaN"), e.getMessage());

            Path csv = dir.resolve("inf.csv");
            Files.writeString(csv, "1,2\n3,inf\n");
            e = assertThrows(UserError.class, () -> Datasets.open(csv.toString(), a));
            assertTrue(e.getMessage().contains("line 2, column 2: 'inf' is Infinity"), e.getMessage());

            Path empty = dir.resolve("empty.csv");
            Files.writeString(empty, "x,y\n\n");
            e = assertThrows(UserError.class, () -> Datasets.open(empty.toString(), a));
            assertTrue(e.getMessage().contains("no data rows"), e.getMessage());

            Path zero = dir.resolve("zero.npy");
            Npy.write(zero, Tensor.allocate(a, 0, 2));
            assertThrows(UserError.class, () -> Datasets.open(zero.toString(), a));
        }
    }

    @Test
    void arrayDataSourceDrawsEveryRowUniformly() {
        try (Arena a = Arena.ofConfined()) {
            int n = 10;
            float[] v = new float[n * 2];
            for (int i = 0; i < n; i++) { v[2 * i] = i; v[2 * i + 1] = -i; }
            ArrayDataSource ds = new ArrayDataSource(Tensor.of(a, v, n, 2));
            int draws = 20_000;
            MemorySegment out = a.allocate(8L * draws);
            ds.sample(new Rng(9), out, draws);
            int[] hist = new int[n];
            for (int r = 0; r < draws; r++) {
                int i = (int) out.getAtIndex(ValueLayout.JAVA_FLOAT, 2L * r);
                assertEquals(-i, out.getAtIndex(ValueLayout.JAVA_FLOAT, 2L * r + 1));
                hist[i]++;
            }
            for (int h : hist) assertEquals(draws / n, h, 200);
        }
    }
}
