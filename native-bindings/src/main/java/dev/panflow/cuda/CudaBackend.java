package dev.panflow.cuda;

import dev.panflow.InvalidParameterException;
import dev.panflow.backend.Backend;
import dev.panflow.backend.BackendOptions;
import dev.panflow.dist.Collective;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.Pool;
import dev.panflow.nn.Mlp;
import dev.panflow.ode.SolverSpec;
import dev.panflow.path.AffinePath;
import dev.panflow.sampling.FlowSampler;
import dev.panflow.sampling.Sampler;
import dev.panflow.tensor.Workspace;
import dev.panflow.train.CfmTrainer;
import dev.panflow.train.StepEngine;

/**
 * "cuda": an MLP's whole training step and the fixed-step solvers on an NVIDIA GPU
 * ({@link CudaCfmTrainer}, {@link CudaSampler}); a U-Net's convolutions through cuDNN, called
 * through host memory ({@link CudnnConvKernels}), its other layers on the JVM.
 */
public final class CudaBackend implements Backend {
    @Override public String name() { return "cuda"; }

    @Override public String summary() { return "an MLP's training step and fixed-step solvers on an NVIDIA GPU; a U-Net's convolutions through cuDNN"; }

    @Override public boolean runsMlp() { return true; }

    @Override public boolean onCpu() { return false; }

    @Override public boolean dataParallel() { return false; }

    @Override
    public ConvKernels convolutions(Pool pool, BackendOptions options) { return CudnnConvKernels.open(options.libraryDir()); }

    @Override
    public StepEngine stepEngine(CfmTrainer trainer, BackendOptions options) {
        if (trainer.mlp == null) return trainer; // a U-Net: its convolutions were given to the trainer; the rest runs on the JVM
        Gpu gpu = Gpu.open(options.libraryDir());
        try {
            return new Engine(gpu, new CudaCfmTrainer(gpu, trainer, 50));
        } catch (RuntimeException e) {
            gpu.close();
            throw e;
        }
    }

    @Override
    public FlowSampler mlpSampler(Mlp mlp, Collective c, BackendOptions options) {
        if (c.size() > 1) throw new InvalidParameterException("backend cuda samples in one process; it is not data parallel yet", "backend");
        Gpu gpu = Gpu.open(options.libraryDir());
        CudaMlp cm;
        try {
            cm = new CudaMlp(gpu, mlp);
        } catch (RuntimeException e) {
            gpu.close();
            throw e;
        }
        return new FlowSampler() {
            @Override
            public Sampler.Result sample(AffinePath path, SolverSpec solver, int n, long seed, int[] labels, float guidance, Workspace ws) {
                return CudaSampler.sample(cm, path, solver.kind().id(), solver.steps(), n, seed, ws);
            }

            @Override
            public void close() {
                cm.close();
                gpu.close();
            }
        };
    }

    /** The device trainer as the training loop sees it; owns the GPU context. */
    private record Engine(Gpu gpu, CudaCfmTrainer device) implements StepEngine {
        @Override public double trainStep() { return device.trainStep(); }
        @Override public double lastLoss() { return device.lastLoss(); }
        @Override public void syncToHost() { device.toHost(); }
        @Override public String where() { return "cuda on " + gpu.name(); }

        @Override
        public FlowSampler sampler() {
            CfmTrainer host = device.host;
            return (path, solver, n, seed, labels, guidance, ws) -> {
                device.mlp.uploadWeights(host.mlp.params().values()); // the host's current weights (EMA swapped in, say)
                return CudaSampler.sample(device.mlp, path, solver.kind().id(), solver.steps(), n, seed, ws);
            };
        }

        @Override
        public void close() {
            device.close();
            gpu.close();
        }
    }
}
