package dev.panflow.onednn;

import dev.panflow.backend.Backend;
import dev.panflow.backend.BackendOptions;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.DenseGemm;
import dev.panflow.kernels.Pool;

/**
 * "onednn": a U-Net's convolutions ({@link OneDnnConv}) and an MLP's dense-layer GEMMs
 * ({@link OneDnnDense}) through oneDNN 2.6; everything else (bias, SiLU, the optimizer) on the JVM.
 */
public final class OneDnnBackend implements Backend {
    @Override public String name() { return "onednn"; }

    @Override public String summary() { return "convolutions and dense-layer GEMMs through oneDNN 2.6 (apt-get install libdnnl2)"; }

    @Override
    public ConvKernels convolutions(Pool pool, BackendOptions options) { return OneDnnConv.open(pool.threads()); }

    @Override
    public DenseGemm denseGemm(Pool pool, BackendOptions options) { return OneDnnDense.open(pool == null ? 1 : pool.threads()); }

    @Override
    public boolean suppliesDenseGemm() { return true; }
}
