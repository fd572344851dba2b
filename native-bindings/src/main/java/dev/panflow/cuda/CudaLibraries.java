package dev.panflow.cuda;

import dev.panflow.nativelib.NativeLibrary;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where the CUDA libraries are: the driver (libcuda.so.1, installed with the NVIDIA driver)
 * and cuBLAS (libcublas.so.13 or .12, with its libcublasLt). Searched, in order, in a
 * user-given directory (BackendOptions.libraryDir, or PANFLOW_CUDA_LIB_DIR), by the system loader
 * (LD_LIBRARY_PATH, ldconfig), under CUDA_HOME and /usr/local/cuda, and in the lib folders of
 * the nvidia-* Python wheels (site-packages/nvidia/NAME/lib), which is where pip puts them.
 */
public final class CudaLibraries {
    static final String DRIVER_HINT = "install the NVIDIA driver (it provides libcuda.so.1) and check that a GPU is "
            + "visible (nvidia-smi), or set libraryDir to the folder holding libcuda.so.1";
    static final String CUBLAS_HINT = "install cuBLAS (the CUDA toolkit, or `pip install nvidia-cublas`) or "
            + "set libraryDir to the folder holding libcublas.so.*";
    static final List<String> CUBLAS_NAMES = List.of("libcublas.so.13", "libcublas.so.12", "libcublas.so");
    static final List<String> CUBLASLT_NAMES = List.of("libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so");

    private final List<Path> userDirs;

    /** {@code userDir} may be null: then PANFLOW_CUDA_LIB_DIR, if set, is used. */
    public CudaLibraries(Path userDir) {
        List<Path> dirs = new ArrayList<>();
        if (userDir != null) dirs.add(userDir);
        String env = System.getenv("PANFLOW_CUDA_LIB_DIR");
        if (env != null && !env.isBlank())
            for (String d : env.split(":")) if (!d.isBlank()) dirs.add(Path.of(d));
        this.userDirs = dirs;
    }

    public NativeLibrary driver() {
        return NativeLibrary.open("CUDA driver library", DRIVER_HINT, HINT_PARAMETERS, candidates(List.of("libcuda.so.1", "libcuda.so"),
                List.of(Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/usr/lib64"), Path.of("/usr/local/nvidia/lib64"),
                        Path.of("/usr/lib/wsl/lib")), null));
    }

    public NativeLibrary cublas() {
        // libcublas needs libcublasLt; loading it first from the same place lets the loader find it by soname.
        List<Path> sysDirs = toolkitDirs();
        try {
            NativeLibrary.open("cuBLASLt", CUBLAS_HINT, HINT_PARAMETERS, candidates(CUBLASLT_NAMES, sysDirs, "cublas"));
        } catch (RuntimeException notFound) {
            // reported below, by the library the user knows by name
        }
        return NativeLibrary.open("cuBLAS", CUBLAS_HINT, HINT_PARAMETERS, candidates(CUBLAS_NAMES, sysDirs, "cublas"));
    }

    static final String CUDNN_HINT = "install cuDNN 9 (`pip install nvidia-cudnn-cu13` or the NVIDIA packages) or set "
            + "libraryDir to the folder holding libcudnn.so.9";
    /** The parameter the hints name: {@link dev.panflow.backend.BackendOptions#libraryDir()}. */
    static final List<String> HINT_PARAMETERS = List.of("libraryDir");
    static final List<String> CUDNN_PARTS = List.of("libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9",
            "libcudnn_engines_precompiled.so.9", "libcudnn_engines_runtime_compiled.so.9", "libcudnn_heuristic.so.9");

    /**
     * cuDNN 9. Its libcudnn.so.9 is a shim that opens its parts (libcudnn_ops, _cnn, …) by name on
     * first use; loading the parts first from the shim's folder lets them be found there.
     */
    public NativeLibrary cudnn() {
        cublas(); // cuDNN's parts need cuBLAS(Lt) loaded
        List<String> cands = candidates(List.of("libcudnn.so.9"), toolkitDirs(), "cudnn");
        for (String c : cands) {
            Path p = Path.of(c);
            if (!p.isAbsolute() || !Files.exists(p)) continue;
            for (String part : CUDNN_PARTS) {
                Path q = p.resolveSibling(part);
                if (!Files.exists(q)) continue;
                try {
                    NativeLibrary.open("cuDNN part", CUDNN_HINT, HINT_PARAMETERS, List.of(q.toString()));
                } catch (RuntimeException skip) {
                    // the shim reports what it lacks when it needs it
                }
            }
            break;
        }
        return NativeLibrary.open("cuDNN", CUDNN_HINT, HINT_PARAMETERS, cands);
    }

    /** Absolute paths in user folders first, then bare names for the system loader, then known places. */
    List<String> candidates(List<String> names, List<Path> systemDirs, String wheel) {
        Set<String> out = new LinkedHashSet<>();
        for (Path d : userDirs) for (String n : names) out.add(d.resolve(n).toAbsolutePath().toString());
        out.addAll(names);
        List<Path> dirs = new ArrayList<>(systemDirs);
        if (wheel != null) dirs.addAll(wheelDirs(wheel));
        for (Path d : dirs) for (String n : names) {
            Path p = d.resolve(n);
            if (Files.exists(p)) out.add(p.toString());
        }
        return new ArrayList<>(out);
    }

    private static List<Path> toolkitDirs() {
        List<Path> dirs = new ArrayList<>();
        String home = System.getenv("CUDA_HOME");
        if (home != null) dirs.add(Path.of(home, "lib64"));
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        dirs.add(Path.of("/usr/local/cuda/targets/x86_64-linux/lib"));
        dirs.add(Path.of("/usr/lib/x86_64-linux-gnu"));
        return dirs;
    }

    /** site-packages/nvidia/{cu13,cu12,NAME}/lib under the usual Python prefixes. */
    static List<Path> wheelDirs(String name) {
        List<Path> roots = new ArrayList<>();
        String venv = System.getenv("VIRTUAL_ENV");
        if (venv != null) roots.add(Path.of(venv, "lib"));
        roots.add(Path.of("/usr/lib"));
        roots.add(Path.of("/usr/local/lib"));
        roots.add(Path.of(System.getProperty("user.home"), ".local/lib"));
        try (DirectoryStream<Path> opt = Files.newDirectoryStream(Path.of("/opt"))) {
            for (Path p : opt) {
                roots.add(p.resolve(".venv/lib"));
                roots.add(p.resolve("venv/lib"));
                roots.add(p.resolve("lib"));
            }
        } catch (IOException | RuntimeException none) {
            // no /opt
        }
        List<Path> out = new ArrayList<>();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) continue;
            try (DirectoryStream<Path> pys = Files.newDirectoryStream(root, "python3*")) {
                for (Path py : pys)
                    for (String pkgs : List.of("site-packages", "dist-packages"))
                        for (String sub : List.of("cu13", "cu12", name)) {
                            Path lib = py.resolve(pkgs).resolve("nvidia").resolve(sub).resolve("lib");
                            if (Files.isDirectory(lib)) out.add(lib);
                        }
            } catch (IOException | RuntimeException unreadable) {
                // skip
            }
        }
        return out;
    }
}
