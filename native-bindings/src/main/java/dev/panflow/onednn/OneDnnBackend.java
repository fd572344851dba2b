package dev.panflow.onednn;

import dev.panflow.backend.Backend;
import dev.panflow.backend.BackendOptions;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.Pool;

/** "onednn": a U-Net's convolutions through oneDNN 2.6 ({@link OneDnnConv}); everything else on the JVM. */
public final class OneDnnBackend implements Backend {
    @Override public String name() { return "onednn"; }

    @Override public String summary() { return "a U-Net's convolutions through oneDNN 2.6 (apt-get install libdnnl2)"; }

    @Override
    public ConvKernels convolutions(Pool pool, BackendOptions options) { return OneDnnConv.open(pool.threads()); }
}
