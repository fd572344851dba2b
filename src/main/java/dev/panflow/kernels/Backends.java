package dev.panflow.kernels;

import dev.panflow.UserError;
import java.util.List;
import java.util.Locale;

/**
 * Backends by name ({@code --backend}): "jvm" (Vector API, the default), "scalar" (the plain
 * reference loops), "onednn" (oneDNN convolutions through FFM) and "cuda" (the MLP's whole
 * training step and sampler on an NVIDIA GPU). The first three differ only in who runs the
 * U-Net's convolutions; the MLP always runs its dense layers on the JVM unless "cuda".
 */
public final class Backends {
    public static final String DEFAULT = "jvm";
    private static final List<String> ALL = List.of("jvm", "scalar", "onednn", "cuda");
    /** The names accepted, for help texts. */
    public static final String NAMES = String.join(", ", ALL);

    private Backends() {}

    /** The backend's canonical name; a UserError listing the choices for any other. */
    public static String check(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (!ALL.contains(n)) throw new UserError("unknown --backend '" + name + "'; choose one of " + NAMES);
        return n;
    }

    public static boolean isCuda(String name) { return check(name).equals("cuda"); }

    /** The convolution kernels of a backend (cuda: cuDNN from the default library locations). */
    public static ConvKernels conv(String name, Pool pool) {
        return conv(name, pool, null);
    }

    /**
     * The convolution kernels of a backend. For cuda they are cuDNN's, called through host
     * memory (each call copies its tensors to the GPU and back; the U-Net's other layers stay on
     * the JVM): a U-Net runs on a GPU machine, but is not device-resident.
     */
    public static ConvKernels conv(String name, Pool pool, java.nio.file.Path cudaLibDir) {
        return switch (check(name)) {
            case "jvm" -> new JvmConv(pool);
            case "scalar" -> new ConvScalar();
            case "onednn" -> dev.panflow.onednn.OneDnnConv.open(pool.threads());
            case "cuda" -> dev.panflow.cuda.CudnnConvKernels.open(cudaLibDir);
            default -> throw new IllegalStateException("unreachable: " + name);
        };
    }
}
