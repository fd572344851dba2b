package dev.panflow.cli;

import dev.panflow.backend.Backend;
import dev.panflow.backend.Backends;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** --backend with --cuda-lib-dir, for the commands that can run on a device (train, sample). */
final class BackendOptions {
    @Option(names = "--backend", description = "Where the work runs: jvm (Vector API), scalar (reference loops), onednn (a U-Net's"
            + " convolutions and an MLP's dense-layer GEMMs through oneDNN: apt-get install libdnnl2) or cuda (an MLP on an NVIDIA GPU: train's"
            + " whole step on the ot path, sample's euler, midpoint, heun, rk4; a U-Net's convolutions through cuDNN) (default: ${DEFAULT-VALUE}).")
    String name = Backends.DEFAULT;
    @Option(names = "--cuda-lib-dir", paramLabel = "DIR", description = "Folder searched first for libcuda.so.1 and libcublas.so.* (--backend cuda).")
    Path libraryDir;

    /** The backend (an unknown name is refused). */
    Backend backend() { return Backends.byName(name); }

    /** Tells the user when the chosen backend only runs a U-Net's convolutions, so this MLP stays on the JVM. */
    void noteIfMlpStaysOnJvm() {
        Backend be = backend();
        if (!be.runsMlp() && !be.suppliesDenseGemm() && !be.name().equals(Backends.DEFAULT))
            System.err.println("note: --backend " + name + " chooses who runs a U-Net's convolutions; this MLP runs on the JVM");
    }
}
