package dev.panflow.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import dev.panflow.nativelib.NativeLibrary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What can be checked without a GPU: the PTX resource and the errors for missing libraries. */
class CudaSetupTest {
    @Test
    void ptxResourceHasEveryKernelTheJavaSideLaunches() {
        String ptx = new String(Gpu.ptxBytes(), StandardCharsets.US_ASCII);
        assertTrue(ptx.contains(".version "), "PTX header .version");
        Matcher target = Pattern.compile("\\.target sm_(\\d+)").matcher(ptx);
        assertTrue(target.find(), ".target");
        assertTrue(Integer.parseInt(target.group(1)) <= 90, "PTX built for a portable virtual arch, got sm_" + target.group(1));
        assertTrue(ptx.contains(".address_size 64"));
        for (String k : DeviceKernels.NAMES)
            assertTrue(Pattern.compile("\\.visible \\.entry " + k + "\\(").matcher(ptx).find(), "kernel " + k + " in PTX");
        // every entry the PTX has is launched from Java (no dead kernels, no typos)
        Matcher entries = Pattern.compile("\\.visible \\.entry (\\w+)\\(").matcher(ptx);
        int count = 0;
        while (entries.find()) {
            count++;
            assertTrue(DeviceKernels.NAMES.contains(entries.group(1)), "unexpected entry " + entries.group(1));
        }
        assertEquals(DeviceKernels.NAMES.size(), count);
        assertEquals(ptx.chars().filter(c -> c == '{').count(), ptx.chars().filter(c -> c == '}').count(), "balanced braces");
    }

    @Test
    void ptxIsNulTerminatedForTheDriver() {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var seg = Gpu.loadPtx(arena);
            assertEquals(0, seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, seg.byteSize() - 1));
            assertEquals(Gpu.ptxBytes().length + 1, seg.byteSize());
        }
    }

    @Test
    void missingDriverIsOneClearLine() {
        CudaLibraries libs = new CudaLibraries(Path.of("/nonexistent/cuda"));
        List<String> cands = libs.candidates(List.of("libcuda-panflow-missing.so.1"), List.of(Path.of("/nonexistent")), null);
        assertEquals("/nonexistent/cuda/libcuda-panflow-missing.so.1", cands.get(0), "user folder first");
        UserError e = assertThrows(UserError.class,
                () -> NativeLibrary.open("CUDA driver library", CudaLibraries.DRIVER_HINT, cands));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith("CUDA driver library not found"), e.getMessage());
        assertTrue(e.getMessage().contains("nvidia-smi") && e.getMessage().contains("set libraryDir"), e.getMessage());
    }

    @Test
    void missingCublasNamesInstallAndFlag() {
        CudaLibraries libs = new CudaLibraries(null);
        UserError e = assertThrows(UserError.class, () -> NativeLibrary.open("cuBLAS", CudaLibraries.CUBLAS_HINT,
                libs.candidates(List.of("libcublas-panflow-missing.so.13"), List.of(), "cublas")));
        assertTrue(e.getMessage().contains("nvidia-cublas") && e.getMessage().contains("set libraryDir"), e.getMessage());
    }

    @Test
    void missingCudnnNamesInstallAndFlag() {
        CudaLibraries libs = new CudaLibraries(null);
        UserError e = assertThrows(UserError.class, () -> NativeLibrary.open("cuDNN", CudaLibraries.CUDNN_HINT,
                libs.candidates(List.of("libcudnn-panflow-missing.so.9"), List.of(), "cudnn")));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains("nvidia-cudnn-cu13") && e.getMessage().contains("set libraryDir"), e.getMessage());
    }

    @Test
    void gpuOpensOrFailsWithAUserError() {
        // Here (CI: no driver) this is the user's view of --backend cuda: a UserError, never a crash.
        // On a GPU machine it opens.
        try (Gpu g = Gpu.open(Path.of("/nonexistent/cuda"))) {
            assertFalse(g.name().isBlank());
        } catch (UserError e) {
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertTrue(e.getMessage().contains("CUDA") || e.getMessage().contains("cuBLAS"), e.getMessage());
        }
    }
}
