package dev.panflow.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.panflow.kernels.ConvShape;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Test;

/** A failing oneDNN call names itself and its status; the backend's thread count reaches OpenMP. */
class DnnlErrorsAndThreadsTest {
    @Test
    void failingCallNamesCallAndStatus() {
        Dnnl d = Dnnl.load();
        try (var arena = Arena.ofConfined()) {
            MemorySegment md = arena.allocate(Dnnl.MEMORY_DESC_BYTES, 8), dims = arena.allocate(8L * Dnnl.MAX_NDIMS, 8);
            // ndims = 13 > DNNL_MAX_NDIMS: oneDNN itself answers dnnl_invalid_arguments
            var e = assertThrows(IllegalStateException.class, () -> Dnnl.call(d.memoryDescInitByTag,
                    "dnnl_memory_desc_init_by_tag", md, 13, dims, Dnnl.F32, Dnnl.TAG_NCHW));
            assertEquals("oneDNN dnnl_memory_desc_init_by_tag failed: dnnl_invalid_arguments (2)", e.getMessage());
        }
    }

    @Test
    void backendThreadCountIsTheCallingThreadsOpenMpSetting() throws Throwable {
        try (var conv = OneDnnConv.open(3); var arena = Arena.ofConfined()) {
            ConvShape sh = new ConvShape(1, 2, 4, 4, 5, 3, 3, 1, 1);
            conv.forward(sh, arena.allocate(4 * sh.xSize()), arena.allocate(4 * sh.wSize()), MemorySegment.NULL,
                    arena.allocate(4 * sh.ySize()));
            MethodHandle maxThreads = Linker.nativeLinker().downcallHandle(
                    SymbolLookup.libraryLookup("libgomp.so.1", Arena.global()).find("omp_get_max_threads").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT));
            assertEquals(3, (int) maxThreads.invokeExact()); // what oneDNN's OpenMP parallel regions use
        }
    }
}
