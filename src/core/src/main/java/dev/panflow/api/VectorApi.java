package dev.panflow.api;

/**
 * Panflow's kernels use the incubating Vector API, which the JVM only resolves when started with
 * {@code --add-modules=jdk.incubator.vector}; without it the first kernel fails deep inside a call
 * with a NoClassDefFoundError. The entry points check first and say what to add.
 */
final class VectorApi {
    static final String MODULE = "jdk.incubator.vector";

    private VectorApi() {}

    /** Throws unless the boot layer has the Vector API module. */
    static void require() { require(ModuleLayer.boot()); }

    static void require(ModuleLayer layer) {
        if (layer.findModule(MODULE).isEmpty())
            throw new IllegalStateException("Panflow needs the Vector API: start the JVM with --add-modules=" + MODULE
                    + " --enable-native-access=ALL-UNNAMED");
    }
}
