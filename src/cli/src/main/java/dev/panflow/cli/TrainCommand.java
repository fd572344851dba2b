package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.data.DataSource;
import dev.panflow.data.Datasets;
import dev.panflow.data.ImageDataSource;
import dev.panflow.dist.Collective;
import dev.panflow.backend.Backends;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.nn.UNetConfig;
import dev.panflow.train.ModelSpec;
import dev.panflow.io.Npy;
import dev.panflow.kernels.Pool;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.Solvers;
import dev.panflow.path.AffinePath;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Workspace;
import dev.panflow.train.CfmTrainer;
import dev.panflow.train.Checkpoint;
import dev.panflow.train.MemoryBudget;
import dev.panflow.sampling.Sampler;
import dev.panflow.train.TrainConfig;
import dev.panflow.train.TrainingDiverged;
import dev.panflow.train.StepEngine;
import dev.panflow.sampling.FlowSampler;
import dev.panflow.ode.SolverKind;
import dev.panflow.ode.SolverSpec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train an MLP velocity field with Conditional Flow Matching, then sample it.",
                "Writes DIR/model.safetensors (checkpoint, atomically replaced every --checkpoint-every steps and at the end),",
                "DIR/samples.npy and, for 2-D data, DIR/samples.png."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "NAME|FILE", description = "checkerboard, 8gaussians, moons, circles, spirals, fashion-mnist (images; apt-get install dataset-fashion-mnist), or a .npy/.csv file of rows (default: ${DEFAULT-VALUE}).")
    String data = "checkerboard";
    @Option(names = "--path", description = "Conditional probability path: ot, vp, ve, cosine, poly (default: ${DEFAULT-VALUE}).")
    String path = "ot";
    @Option(names = "--hidden", description = "Hidden width (default: ${DEFAULT-VALUE}).")
    int hidden = 256;
    @Option(names = "--layers", description = "Hidden layers (default: ${DEFAULT-VALUE}).")
    int layers = 3;
    @Option(names = "--time-embedding", description = "sinusoidal or concat (t as one input, like the PyTorch reference) (default: ${DEFAULT-VALUE}).")
    String timeEmbedding = "sinusoidal";
    @Option(names = "--frequencies", description = "Frequencies of the sinusoidal time embedding (default: ${DEFAULT-VALUE}).")
    int frequencies = 16;
    @Option(names = "--time-sampling", description = "How t is drawn in training: uniform or logit-normal (default: ${DEFAULT-VALUE}).")
    String timeSampling = "logit-normal";
    @Option(names = "--time-location", paramLabel = "M", description = "Location m of the logit-normal t = σ(m + z); m > 0 favours t near 1 (data) (default: ${DEFAULT-VALUE}).")
    float timeLocation = 1f;
    @Option(names = "--coupling", description = "Pairing of noise and data in a batch: independent; ot (exact minibatch optimal transport on squared distance, OT-CFM); or sinkhorn (entropic OT plan, as OT-CFM; a noise row is drawn per data row from it, so repeats are allowed; per pairing 0.2/0.8/3 ms at batch 256/512/1024 against 5/36/280 ms for ot on 2 shared cores; at the default reg the flows are less straight than with ot) (default: ${DEFAULT-VALUE}).")
    String coupling = "independent";
    @Option(names = "--sinkhorn-reg", paramLabel = "EPS", description = "Entropic regularisation of --coupling sinkhorn, relative to the batch's largest squared distance (smaller: closer to ot, more sweeps; 0.01 matched ot's dopri5 NFE on the checkerboard at about twice the pairing time of 0.05) (default: ${DEFAULT-VALUE}).")
    double sinkhornReg = 0.05;
    @Option(names = "--batch", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch = 1024;
    @Option(names = "--steps", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    long steps = 3000;
    @Option(names = "--lr", description = "Peak learning rate of AdamW (default: ${DEFAULT-VALUE}).")
    float lr = 8e-3f;
    @Option(names = "--lr-schedule", description = "constant or cosine (decays to lr/10) (default: ${DEFAULT-VALUE}).")
    String lrSchedule = "cosine";
    @Option(names = "--warmup", description = "Linear warm-up steps (default: ${DEFAULT-VALUE}).")
    long warmup = 100;
    @Option(names = "--weight-decay", description = "AdamW decoupled weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay = 0f;
    @Option(names = "--ema", description = "EMA decay of the weights used for sampling (default: ${DEFAULT-VALUE}).")
    float ema = 0.999f;
    @Option(names = "--max-grad-norm", description = "Clip the global gradient norm to this (0 = off) (default: ${DEFAULT-VALUE}).")
    float maxGradNorm = 0f;
    @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed = 0;
    @Mixin
    Threads threads;
    @Mixin
    Distributed distributed;
    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("runs/checkerboard");
    @Option(names = "--checkpoint-every", paramLabel = "N", description = "Write the checkpoint every N steps, 0 = only at the end (default: ${DEFAULT-VALUE}).")
    long checkpointEvery = 1000;
    @Option(names = "--resume", description = "Continue the run from DIR/model.safetensors (same flags); the result is bit-for-bit that of an uninterrupted run.")
    boolean resume;
    @Option(names = "--samples", paramLabel = "N", description = "Samples drawn after training for samples.npy/png, 0 = none (default: ${DEFAULT-VALUE}).")
    int samples = 20000;
    @Option(names = "--sample-steps", paramLabel = "K", description = "Euler steps for those samples (default: ${DEFAULT-VALUE}).")
    int sampleSteps = 100;
    @Option(names = "--cuda-lib-dir", paramLabel = "DIR", description = "Folder searched first for libcuda.so.1 and libcublas.so.* (--backend cuda).")
    Path cudaLibDir;


    // Images (U-Net). Options a user did not give take image defaults with --model unet (see applyUnetDefaults).
    @Option(names = "--model", description = "Velocity field: mlp (rows of numbers) or unet (images, e.g. --data fashion-mnist) (default: ${DEFAULT-VALUE}).")
    String model = "mlp";
    @Option(names = "--channels", paramLabel = "C0,C1,...", description = "U-Net channels per resolution; the image is halved between entries (default: ${DEFAULT-VALUE}).")
    String channels = "32,64,64";
    @Option(names = "--groups", description = "U-Net GroupNorm groups (default: ${DEFAULT-VALUE}).")
    int groups = 8;
    @Option(names = "--conditional", description = "Class-conditional U-Net (labels of the data set), for classifier-free guidance when sampling.")
    boolean conditional;
    @Option(names = "--label-dropout", paramLabel = "P", description = "Conditional training: probability of replacing a label by the null class (default: ${DEFAULT-VALUE}).")
    float labelDropout = 0.1f;
    @Option(names = "--backend", description = "Where the work runs: jvm (Vector API), scalar (reference loops), onednn (the U-Net's"
            + " convolutions through oneDNN: apt-get install libdnnl2) or cuda (the MLP's whole step on an NVIDIA GPU, --path ot;"
            + " a U-Net's convolutions through cuDNN)"
            + " (default: ${DEFAULT-VALUE}).")
    String backend = Backends.DEFAULT;
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    /** The job's collective (one process unless --distributed); only its rank 0 writes files and logs. */
    private Collective coll = Collective.SINGLE;

    /** U-Net defaults for options not given: batch 64, lr 1e-3, t logit-normal around ½, 64 samples, out runs/DATA. */
    private void applyUnetDefaults() {
        var pr = commandSpec.commandLine().getParseResult();
        if (!pr.hasMatchedOption("--batch")) batch = 64;
        if (!pr.hasMatchedOption("--lr")) lr = 1e-3f;
        if (!pr.hasMatchedOption("--time-location")) timeLocation = 0f;
        if (!pr.hasMatchedOption("--samples")) samples = conditional ? 100 : 64;
        if (!pr.hasMatchedOption("--out")) out = Path.of("runs", data);
    }

    @Override
    public Integer call() throws IOException {
        ModelSpec spec = model.equals("unet")
                ? new ModelSpec("unet", UNetConfig.parseList(channels), groups, conditional, labelDropout)
                : new ModelSpec(model, new int[0], 0, false, 0f);
        if (spec.isUnet()) applyUnetDefaults();
        else if (conditional) throw new UserError("--conditional needs --model unet");
        TrainConfig cfg = new TrainConfig(data, path, hidden, layers, timeEmbedding, frequencies, batch, steps, lr,
                lrSchedule, warmup, weightDecay, ema, maxGradNorm, seed, checkpointEvery, timeSampling,
                timeLocation);
        if (samples < 0 || samples > 100_000_000) throw new UserError("--samples must be in [0, 100000000], got " + samples);
        if (sampleSteps < 1) throw new UserError("--sample-steps must be ≥ 1, got " + sampleSteps);
        AffinePath p = Paths.byName(path);
        Path ckpt = out.resolve("model.safetensors");
        if (resume && !Files.exists(ckpt)) throw new UserError("--resume: no checkpoint at " + ckpt);
        dev.panflow.backend.Backend be = Backends.byName(backend);
        if (!spec.isUnet() && !be.runsMlp() && !be.name().equals(Backends.DEFAULT))
            System.err.println("note: --backend " + backend + " chooses who runs a U-Net's convolutions; this MLP runs on the JVM");
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UserError("cannot create output directory " + out + ": " + e.getMessage());
        }
        coll = distributed.open(backend);
        // MPI_Finalize only on a clean end: a rank that fails exits without it, and mpirun then
        // stops the others (finalizing would wait for ranks blocked in the next all-reduce).
        int code = trainAndSample(spec, cfg, p, ckpt);
        coll.close();
        return code;
    }

    private int trainAndSample(ModelSpec spec, TrainConfig cfg, AffinePath p, Path ckpt) throws IOException {
        boolean root = coll.isRoot();
        try (Arena dataArena = Arena.ofShared();
             Pool pool = new Pool(threads.checked());
             ConvKernels conv = spec.isUnet() ? Backends.conv(backend, pool, cudaLibDir) : null) {
            DataSource ds = Datasets.open(data, dataArena);
            if (!spec.isUnet()) // the U-Net's buffers are small next to its data set; the MLP's grow with --hidden and --batch
                MemoryBudget.check(MemoryBudget.trainingBytes(cfg.mlp(ds.dim()), batch) + MemoryBudget.samplingBytes(cfg.mlp(ds.dim()), samples),
                        "--batch " + batch + ", --hidden " + hidden + ", --layers " + layers + " and --samples " + samples);
            try (CfmTrainer tr = new CfmTrainer(cfg, spec, ds, p, pool, conv, coll)) {
                if (sinkhornReg != dev.panflow.coupling.SinkhornCoupling.DEFAULT_REG && !"sinkhorn".equals(coupling.trim().toLowerCase(java.util.Locale.ROOT)))
                    throw new UserError("--sinkhorn-reg applies to --coupling sinkhorn only (got --coupling " + coupling + ")");
                tr.setCoupling(dev.panflow.coupling.Coupling.byName(coupling, batch, tr.dim(), sinkhornReg));
                if (resume) {
                    Checkpoint.restore(tr, ckpt);
                    if (root) System.err.printf("resumed %s at step %d%n", ckpt, tr.step());
                }
                if (root) System.err.printf("coupling: %s%n", tr.coupling().name());
                String net = spec.isUnet()
                        ? String.format("U-Net %s%s (%s backend)", channels, conditional ? ", class-conditional" : "", conv.name())
                        : String.format("MLP %d×%d", hidden, layers);
                if (root) System.err.printf("train: %s (dim %d), path %s, %s (%,d parameters), batch %d, %d steps, %d threads%n",
                        ds.name(), tr.dim(), p.scheduler().name(), net, tr.model.params().count(), batch, steps, pool.threads());
                if (root && coll.size() > 1)
                    System.err.printf("distributed: %d MPI ranks, %d rows each per step (global batch %d), %d threads each%n",
                            coll.size(), tr.localRows(), batch, pool.threads());
                dev.panflow.backend.Backend be = Backends.byName(backend);
                if (!be.onCpu() && spec.isUnet() && root)
                    System.err.println("note: --backend " + be.name() + " with a U-Net: its convolutions run on the device (through host"
                            + " memory), the other layers on the JVM; the U-Net is not device-resident yet");
                try (StepEngine engine = be.stepEngine(tr, new dev.panflow.backend.BackendOptions(cudaLibDir))) {
                    if (engine != tr) System.err.println("backend: " + engine.where());
                    if (!runLoop(tr, engine, ckpt)) return 130;
                    if (samples > 0) sampleAfterTraining(tr, engine, p);
                }
            }
        }
        return 0;
    }

    /** The training loop; false if it stopped early on a signal (after saving the checkpoint). */
    private boolean runLoop(CfmTrainer tr, StepEngine engine, Path ckpt) {
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            tr.requestStop();
            try {
                finished.await(60, TimeUnit.SECONDS); // let the loop write its checkpoint first
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            boolean root = coll.isRoot();
            ProgressBar bar = root ? new ProgressBar("train", steps) : null;
            double smooth = Double.NaN;
            long start = tr.step(), t0 = System.nanoTime();
            long warm = start + Math.max(1, (steps - start) / 5); // the scaling report leaves out the first fifth (JIT warm-up)
            double comm0 = 0;
            long commSteps0 = 0;
            while (tr.step() < steps) {
                if (tr.stopAgreed()) { // with several ranks: the same step on all of them
                    engine.syncToHost();
                    if (root) {
                        Checkpoint.save(tr, ckpt);
                        System.err.printf("%ninterrupted at step %d; checkpoint saved to %s (continue with --resume)%n", tr.step(), ckpt);
                    }
                    return false;
                }
                double loss = engine.trainStep();
                smooth = Double.isNaN(smooth) ? loss : 0.98 * smooth + 0.02 * loss;
                long k = tr.step();
                if (k == warm) {
                    t0 = System.nanoTime();
                    comm0 = tr.commSeconds();
                    commSteps0 = tr.commSteps();
                }
                if (checkpointEvery > 0 && k % checkpointEvery == 0 && k < steps) {
                    engine.syncToHost();
                    if (root) Checkpoint.save(tr, ckpt);
                }
                if (root) bar.update(k - start, String.format("loss %.4f", smooth));
            }
            engine.syncToHost();
            if (!root) return true;
            bar.finish(tr.step() - start, String.format("loss %.4f", smooth));
            if (distributed.on)
                reportScaling(tr, tr.step() - Math.min(warm, tr.step()), (System.nanoTime() - t0) * 1e-9,
                        tr.commSeconds() - comm0, tr.commSteps() - commSteps0);
            Checkpoint.save(tr, ckpt);
            double last = engine.lastLoss();
            System.out.printf("trained %d steps, final loss %.4f (smoothed %.4f); checkpoint %s%n", tr.step(), last, smooth, ckpt);
            return true;
        } catch (TrainingDiverged e) {
            throw new TrainingDiverged(FlagNames.message(e) + "; " + Checkpoint.keptNote(ckpt)); // in flags before a path joins it
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already exiting; the hook is running and will return now
            }
        }
    }

    /**
     * Rank 0's steps/s and the share of a step spent all-reducing (the data for scaling
     * estimates), over the steps after the first fifth of the run.
     */
    private void reportScaling(CfmTrainer tr, long stepsRun, double seconds, double commSeconds, long commSteps) {
        double ms = 1e3 * seconds / Math.max(1, stepsRun);
        double comm = commSteps == 0 ? 0 : 1e3 * commSeconds / commSteps;
        // formatted first, printed in one write: printf's pieces could interleave with the progress bar on stderr
        System.out.print(String.format("distributed: %d ranks × %d threads, %.2f steps/s (%.2f ms/step); all-reduce %.2f ms/step"
                        + " = %.1f %% of a step, %.2f MB of gradients per step%n", coll.size(), threads.threads, 1e3 / ms, ms, comm,
                100 * comm / ms, tr.gradientBytes() / 1e6));
    }

    private void sampleAfterTraining(CfmTrainer tr, StepEngine engine, AffinePath p) {
        // Sample with the EMA weights: swap them into the live parameters (training is over).
        if (ema > 0) tr.model.params().values().copyFrom(tr.ema.weights());
        SolverSpec euler = SolverSpec.fixed(SolverKind.EULER, sampleSteps);
        try (Workspace ws = new Workspace(); FlowSampler sampler = engine.sampler()) {
            if (tr.data instanceof ImageDataSource img) {
                int[] labels = ImageSampling.labels(samples, tr.model.classes(), -1);
                Sampler.Result r = sampler.sample(p, euler, samples, seed + 1, labels, 0f, ws);
                if (coll.isRoot()) ImageSampling.write(r, "Euler", img.channels(), img.height(), img.width(), tr.model.classes(), out.resolve("samples.npy"), out.resolve("samples.png"));
                return;
            }
            Sampler.Result r = sampler.sample(p, euler, samples, seed + 1, null, 0f, ws);
            if (!coll.isRoot()) return;
            Path npy = out.resolve("samples.npy");
            Npy.write(npy, r.samples());
            System.out.printf("sampled %d points (Euler, %d NFE, %.2f s) -> %s%n", samples, r.stats().nfe(), r.seconds(), npy);
            String q = Plots.quality(r.samples(), data);
            if (q != null) System.out.println(q);
            if (r.samples().cols() == 2) {
                Path png = out.resolve("samples.png");
                Plots.scatter(r.samples(), data, png, String.format("Panflow CFM (%s path), %s, %d steps", path, data, tr.step()));
                System.out.println("wrote " + png);
            }
        }
    }
}
