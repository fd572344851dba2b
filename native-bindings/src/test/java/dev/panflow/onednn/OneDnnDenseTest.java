package dev.panflow.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.kernels.DenseGemm;
import dev.panflow.kernels.JvmDense;
import dev.panflow.kernels.Pool;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * oneDNN's dense GEMM against the JVM's on random ragged shapes: the three layouts, overwrite and
 * accumulate (beta 1), whole products and row ranges (rows outside the range untouched). Needs
 * libdnnl.so.2: without it these fail with the install hint, they are never skipped.
 */
class OneDnnDenseTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final float SENTINEL = 12345f;

    enum Layout { NN, TN, NT }

    @Test
    void wholeProductsAgreeWithTheJvmsInAllLayouts() {
        Random rnd = new Random(7);
        try (Pool pool = new Pool(2); Arena arena = Arena.ofShared()) {
            DenseGemm jvm = new JvmDense(pool), dnnl = OneDnnDense.open(2);
            int[][] fixed = {{1, 1, 1}, {4, 16, 8}, {17, 33, 65}, {256, 128, 131}, {3, 515, 2}, {129, 1, 300}};
            for (int t = 0; t < fixed.length + 14; t++) {
                int m, n, k;
                if (t < fixed.length) { m = fixed[t][0]; n = fixed[t][1]; k = fixed[t][2]; }
                else { m = 1 + rnd.nextInt(200); n = 1 + rnd.nextInt(200); k = 1 + rnd.nextInt(200); }
                for (Layout l : Layout.values())
                    for (boolean acc : new boolean[] {false, true}) {
                        MemorySegment a = random(arena, rnd, (long) m * k), b = random(arena, rnd, (long) k * n);
                        MemorySegment c0 = random(arena, rnd, (long) m * n);
                        MemorySegment cj = copy(arena, c0), cd = copy(arena, c0);
                        call(jvm, l, a, b, cj, m, n, k, acc);
                        call(dnnl, l, a, b, cd, m, n, k, acc);
                        assertClose(cj, cd, 0, m, n, k, l + " " + m + "x" + n + "x" + k + (acc ? " accumulate" : ""));
                    }
            }
        }
    }

    @Test
    void rowRangesAgreeAndLeaveOtherRowsAlone() {
        Random rnd = new Random(8);
        try (Pool pool = new Pool(1); Arena arena = Arena.ofConfined()) {
            DenseGemm jvm = new JvmDense(pool), dnnl = OneDnnDense.open(2);
            for (int t = 0; t < 20; t++) {
                int m = 2 + rnd.nextInt(150), n = 1 + rnd.nextInt(150), k = 1 + rnd.nextInt(150);
                int r0 = rnd.nextInt(m), r1 = r0 + 1 + rnd.nextInt(m - r0);
                for (Layout l : Layout.values()) {
                    MemorySegment a = random(arena, rnd, (long) m * k), b = random(arena, rnd, (long) k * n);
                    MemorySegment cj = arena.allocate(4L * m * n), cd = arena.allocate(4L * m * n);
                    for (long i = 0; i < (long) m * n; i++) { cj.setAtIndex(F, i, SENTINEL); cd.setAtIndex(F, i, SENTINEL); }
                    rows(jvm, l, a, b, cj, m, n, k, r0, r1);
                    rows(dnnl, l, a, b, cd, m, n, k, r0, r1);
                    String what = l + " rows " + r0 + ".." + r1 + " of " + m + "x" + n + "x" + k;
                    assertClose(cj, cd, r0, r1, n, k, what);
                    for (long i = 0; i < (long) m * n; i++) {
                        long r = i / n;
                        if (r < r0 || r >= r1) assertEquals(SENTINEL, cd.getAtIndex(F, i), what + ": row " + r + " was written");
                    }
                }
            }
        }
    }

    @Test
    void badSegmentsAreRefusedBeforeOneDnnReadsThem() {
        DenseGemm dnnl = OneDnnDense.open(1);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(4L * 6), b = arena.allocate(4L * 6), c = arena.allocate(4L * 4);
            var e = assertThrows(IllegalArgumentException.class, () -> dnnl.nn(a, b, c, 2, 2, 4, false));
            assertEquals("A holds 6 floats, needs 8", e.getMessage());
            var h = assertThrows(IllegalArgumentException.class,
                    () -> dnnl.nn(MemorySegment.ofArray(new float[4]), b, c, 2, 2, 2, false));
            assertEquals("oneDNN needs off-heap memory for A", h.getMessage());
            assertThrows(IllegalArgumentException.class, () -> dnnl.nnRows(a, b, c, 3, 2, 2, 1, 3)); // C has 2 rows
        }
    }

    @Test
    void wholeProductsUseTheRunsThreadsRowFormsOne() throws Throwable {
        MethodHandle maxThreads = Linker.nativeLinker().downcallHandle(
                SymbolLookup.libraryLookup("libgomp.so.1", Arena.global()).find("omp_get_max_threads").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        DenseGemm dnnl = OneDnnDense.open(3);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(16), b = arena.allocate(16), c = arena.allocate(16);
            dnnl.nn(a, b, c, 2, 2, 2, false);
            assertEquals(3, (int) maxThreads.invokeExact());
            dnnl.nnRows(a, b, c, 2, 2, 2, 0, 2);
            assertEquals(1, (int) maxThreads.invokeExact());
        }
    }

    private static void call(DenseGemm g, Layout l, MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean acc) {
        switch (l) {
            case NN -> g.nn(a, b, c, m, n, k, acc);
            case TN -> g.tn(a, b, c, m, n, k, acc);
            case NT -> g.nt(a, b, c, m, n, k, acc);
        }
    }

    private static void rows(DenseGemm g, Layout l, MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, int r0, int r1) {
        switch (l) {
            case NN -> g.nnRows(a, b, c, m, n, k, r0, r1);
            case TN -> g.tnRows(a, b, c, m, n, k, r0, r1);
            case NT -> g.ntRows(a, b, c, m, n, k, r0, r1);
        }
    }

    /** Entries in [−1, 1): each of k products is below 1, so fp32 sums agree to ~k·2⁻²⁴ (bound 1e-6·k + 1e-5). */
    private static void assertClose(MemorySegment want, MemorySegment got, int r0, int r1, int n, int k, String what) {
        double tol = 1e-6 * k + 1e-5;
        for (long i = (long) r0 * n; i < (long) r1 * n; i++) {
            float w = want.getAtIndex(F, i), g = got.getAtIndex(F, i);
            assertTrue(Math.abs(w - g) <= tol, what + ": element " + i + " jvm " + w + " onednn " + g);
        }
    }

    private static MemorySegment random(Arena arena, Random rnd, long n) {
        MemorySegment s = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(F, i, rnd.nextFloat() * 2 - 1);
        return s;
    }

    private static MemorySegment copy(Arena arena, MemorySegment s) {
        return arena.allocate(s.byteSize(), 64).copyFrom(s);
    }
}
