package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.backend.Backends;
import picocli.CommandLine.Option;

/** --backend of the commands that run on the CPU only (nll, experiment paths): who runs a U-Net's convolutions. */
final class CpuBackendOption {
    @Option(names = "--backend", description = "Who runs a U-Net's convolutions (onednn: an MLP's dense-layer GEMMs too): jvm, scalar or onednn (default: ${DEFAULT-VALUE}).")
    String name = Backends.DEFAULT;

    /** The backend's name, refusing unknown and device backends ({@code command} names the command in the message). */
    String checked(String command) {
        if (!Backends.byName(name).onCpu()) throw new UserError(command + " runs on the CPU backends (jvm, scalar, onednn)");
        return name;
    }
}
