package dev.panflow.kernels;

import dev.panflow.UserError;

/** Convolution backends by name ({@code --backend}): "jvm" (Vector API, the default) or a native one. */
public final class Backends {
    public static final String DEFAULT = "jvm";
    /** The names {@link #conv} accepts, for help texts. */
    public static final String NAMES = "jvm, scalar";

    private Backends() {}

    public static ConvKernels conv(String name, Pool pool) {
        return switch (name) {
            case "jvm" -> new JvmConv(pool);
            case "scalar" -> new ConvScalar();
            // Native backends add their case here, e.g. case "onednn" -> OneDnnConv.open(pool);
            default -> throw new UserError("unknown --backend '" + name + "'; choose jvm or scalar");
        };
    }
}
