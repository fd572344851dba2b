package dev.panflow.backend;

import dev.panflow.dist.Collective;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.DenseGemm;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.Mlp;
import dev.panflow.sampling.FlowSampler;
import dev.panflow.sampling.Sampler;
import dev.panflow.train.CfmTrainer;
import dev.panflow.train.StepEngine;

/**
 * Where the work runs. The core has "jvm" (Vector API) and "scalar" (the plain reference loops);
 * native backends (panflow-native: oneDNN, CUDA) register through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/dev.panflow.backend.Backend}) and are found by {@link Backends} at run
 * time, so the core never names them. A backend opens its native library only when asked for work.
 */
public interface Backend {
    /** The name users choose it by ("onednn"). */
    String name();

    /** One line for help texts. */
    String summary();

    /** The convolution kernels a U-Net runs on; close them when done. */
    ConvKernels convolutions(Pool pool, BackendOptions options);

    /**
     * The GEMM of an MLP's dense layers when they run on the host: the backend's own (e.g.
     * oneDNN's), or null for the JVM's. Bias, SiLU and the rest of the step stay on the JVM.
     */
    default DenseGemm denseGemm(Pool pool, BackendOptions options) { return null; }

    /** True if {@link #denseGemm} gives a GEMM of the backend's own (known without opening its library). */
    default boolean suppliesDenseGemm() { return false; }

    /** True if the backend runs an MLP's dense layers itself; else the MLP runs on the JVM and only convolutions differ. */
    default boolean runsMlp() { return false; }

    /** True if it runs on the host CPU (commands that have no device code yet, such as nll, need one). */
    default boolean onCpu() { return true; }

    /** True if it can train over the ranks of a {@link Collective} (one process per device backends cannot yet). */
    default boolean dataParallel() { return true; }

    /** The engine that steps {@code trainer} (the trainer itself unless the backend runs the MLP step elsewhere). */
    default StepEngine stepEngine(CfmTrainer trainer, BackendOptions options) { return trainer; }

    /** A sampler over {@code mlp}'s current weights (the JVM's, split over the ranks of {@code c}, unless the backend runs the MLP). */
    default FlowSampler mlpSampler(Mlp mlp, Collective c, BackendOptions options) {
        return Sampler.onJvm(new dev.panflow.nn.MlpModel(mlp, null), c);
    }
}
