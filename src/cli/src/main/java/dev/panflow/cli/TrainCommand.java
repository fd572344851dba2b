package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.api.ProgressListener;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.Samples;
import dev.panflow.api.TrainResult;
import dev.panflow.api.Trainer;
import dev.panflow.dist.Collective;
import dev.panflow.io.Npy;
import dev.panflow.nn.MlpConfig;
import dev.panflow.nn.UNetConfig;
import dev.panflow.ode.SolverKind;
import dev.panflow.tensor.Tensor;
import dev.panflow.train.MemoryBudget;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train an MLP velocity field with Conditional Flow Matching, then sample it.",
                "Writes DIR/model.safetensors (checkpoint, atomically replaced every --checkpoint-every steps and at the end),",
                "DIR/samples.npy and, for 2-D data, DIR/samples.png and DIR/trajectory.png (t = 0, 1/4, 1/2, 3/4, 1); DIR/run.json (options, versions, machine) and",
                "DIR/metrics.jsonl (step, time, loss, smoothed loss, lr, grad norm, steps/s every --metrics-every steps) and",
                "DIR/loss.png (loss and lr against step, log scale; redrawn at each checkpoint)."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", paramLabel = "NAME|FILE|DIR", description = "checkerboard, 8gaussians, moons, circles, spirals, fashion-mnist (images; apt-get install dataset-fashion-mnist), a .npy/.csv file of rows, or a folder of PNG/JPEG images (grey or RGB; subfolders as class labels; train it with --model unet) (default: ${DEFAULT-VALUE}).")
    String data = "checkerboard";
    @Option(names = "--image-size", paramLabel = "S", description = "With --data DIR: centre-crop and resize every image to S×S (default: the files' common size, which they must then share).")
    Integer imageSize;
    @Option(names = "--path", description = "Conditional probability path: ot, vp, ve, cosine, poly (default: ${DEFAULT-VALUE}).")
    String path = "ot";
    @Option(names = "--hidden", description = "Hidden width (default: ${DEFAULT-VALUE}).")
    int hidden = 256;
    @Option(names = "--layers", description = "Hidden layers (default: ${DEFAULT-VALUE}).")
    int layers = 3;
    @Option(names = "--time-embedding", description = "sinusoidal or concat (t as one input, like the PyTorch reference) (default: sinusoidal; concat with --objective meanflow).")
    String timeEmbedding;
    @Option(names = "--objective", description = "What the network learns: cfm (the velocity field, sampled by any --solver), meanflow (the average velocity "
            + "over a step, Geng et al. 2025) or shortcut (a jump whose step size is an input, Frans et al. 2024); the last two sample in 1, 2, 4, … steps "
            + "(panflow sample --steps N), with --model mlp or unet (default: ${DEFAULT-VALUE}).")
    String objective = "cfm";
    @Option(names = "--frequencies", description = "Frequencies of the sinusoidal time embedding (default: ${DEFAULT-VALUE}).")
    int frequencies = 16;
    @Option(names = "--time-sampling", description = "How t is drawn in training: uniform or logit-normal (default: ${DEFAULT-VALUE}).")
    String timeSampling = "logit-normal";
    @Option(names = "--time-location", paramLabel = "M", description = "Location m of the logit-normal t = σ(m + z); m > 0 favours t near 1 (data) (default: ${DEFAULT-VALUE}).")
    float timeLocation = 1f;
    @Option(names = "--coupling", description = "Pairing of noise and data in a batch: independent; ot (exact minibatch optimal transport on squared distance, OT-CFM); or sinkhorn (entropic OT plan, as OT-CFM; a noise row is drawn per data row from it, so repeats are allowed; per pairing 0.2/0.8/3 ms at batch 256/512/1024 against 5/36/280 ms for ot on 2 shared cores; at the default reg the flows are less straight than with ot). With --conditional both pair within each class (see --class-weight); with --distributed the sinkhorn plan is sharded over the ranks (default: ${DEFAULT-VALUE}).")
    String coupling = "independent";
    @Option(names = "--sinkhorn-reg", paramLabel = "EPS", description = "Entropic regularisation of --coupling sinkhorn, relative to the batch's largest squared distance (smaller: closer to ot, more sweeps; 0.01 matched ot's dopri5 NFE on the checkerboard at about twice the pairing time of 0.05) (default: ${DEFAULT-VALUE}).")
    double sinkhornReg = 0.05;
    @Option(names = "--class-weight", paramLabel = "W", description = "With --conditional and --coupling ot|sinkhorn: how pairing treats classes (C²OT, Cheng and Schwing 2025). inf (the default) pairs noise and images only within each class (the null class of label dropout is one more class); a finite W adds W times the batch's mean squared distance to the cost of a cross-class pair; 0 ignores classes (plain OT, which skews each class's noise).")
    String classWeight;
    @Option(names = "--coupling-batch", paramLabel = "M", description = "With --coupling ot|sinkhorn: compute the plan over M ≥ --batch pairs and train the next M/batch steps on disjoint minibatches of it, then draw a new pool (seeded by --seed and the pool's index, so --resume continues bit for bit). 0 (default): a plan per batch.")
    int couplingBatch;
    @Option(names = "--batch", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch = 1024;
    @Option(names = "--steps", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    long steps = 3000;
    @Option(names = "--lr", description = "Peak learning rate of AdamW (default: ${DEFAULT-VALUE}).")
    float lr = 8e-3f;
    @Option(names = "--lr-schedule", description = "constant or cosine (decays to lr/10) (default: ${DEFAULT-VALUE}).")
    String lrSchedule = "cosine";
    @Option(names = "--warmup", description = "Linear warm-up steps (default: ${DEFAULT-VALUE}; 300 with --model unet).")
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
    @Option(names = "--time-budget", paramLabel = "DURATION", description = "Train for this long (90s, 15m, 1h, 1h30m): after the warm-up the steps are estimated from the measured rate (again at 25, 50, 75 and 90 %% of the budget) and the lr schedule is laid over them (--steps stays an upper bound; without --steps there is none); the run stops with a checkpoint at the budget; --resume continues the same schedule to its end.")
    String timeBudget;
    @Mixin
    ProgressOptions progressOptions;
    @Option(names = "--checkpoint-every", paramLabel = "N", description = "Write the checkpoint every N steps, 0 = only at the end (default: ${DEFAULT-VALUE}).")
    long checkpointEvery = 1000;
    @Option(names = "--eval-every", paramLabel = "N", description = "Every N steps sample the checkpoint (written then too) into DIR/progress/step-N.png (a scatter, or an image grid) with a record in metrics.jsonl, on the log's writer thread; 0 = off (default: ${DEFAULT-VALUE}).")
    long evalEvery = 0;
    @Option(names = "--metrics-every", paramLabel = "K", description = "A record in DIR/metrics.jsonl every K steps (and the last) (default: ${DEFAULT-VALUE}).")
    int metricsEvery = 10;
    @Option(names = "--resume", description = "Continue the run from DIR/model.safetensors (same flags); the result is bit-for-bit that of an uninterrupted run.")
    boolean resume;
    @Option(names = "--samples", paramLabel = "N", description = "Samples drawn after training for samples.npy/png, 0 = none (default: ${DEFAULT-VALUE}).")
    int samples = 20000;
    @Option(names = "--sample-steps", paramLabel = "K", description = "Euler steps for those samples; a --objective meanflow or shortcut model takes one jump (default: ${DEFAULT-VALUE}).")
    int sampleSteps = 100;


    // Images (U-Net). Options a user did not give take image defaults with --model unet (see applyUnetDefaults).
    @Option(names = "--model", description = "Velocity field: mlp (rows of numbers) or unet (images, e.g. --data fashion-mnist) (default: ${DEFAULT-VALUE}).")
    String model = "mlp";
    @Option(names = "--channels", paramLabel = "C0,C1,...", description = "U-Net channels per resolution; the image is halved between entries (default: ${DEFAULT-VALUE}).")
    String channels = "24,48,48";
    @Option(names = "--groups", description = "U-Net GroupNorm groups (default: ${DEFAULT-VALUE}).")
    int groups = 8;
    @Option(names = "--conditional", description = "Class-conditional U-Net (labels of the data set), for classifier-free guidance when sampling.")
    boolean conditional;
    @Option(names = "--label-dropout", paramLabel = "P", description = "Conditional training: probability of replacing a label by the null class (default: ${DEFAULT-VALUE}).")
    float labelDropout = 0.1f;
    @Option(names = "--dropout", paramLabel = "P", description = "U-Net training: dropout probability in every residual block, before its second conv (as DDPM), in [0, 1); sampling, nll and evaluation never drop; --resume needs the same value (default: ${DEFAULT-VALUE}, none).")
    float dropout = 0f;
    @Option(names = "--attention", paramLabel = "HEADS", arity = "0..1", fallbackValue = "1",
            description = "U-Net: a self-attention block (GroupNorm, 1×1 q/k/v, softmax over positions, zero-initialised 1×1 output, residual) "
                    + "after the mid block, at the lowest resolution (7×7 for 28×28 images and 3 channel entries), with HEADS heads "
                    + "(they must divide the last --channels entry; --attention alone: 1; 0: no block). Recorded in the checkpoint "
                    + "(default with --model unet: 1).")
    Integer attention;   // null: not given, the library's default
    @Mixin
    BackendOptions backend;
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    /** --steps with a time budget and no --steps: no limit but the budget. */
    static final long NO_STEP_LIMIT = 1_000_000_000_000L;
    private java.time.Duration budget;

    /** The job's collective (one process unless --distributed); only its rank 0 writes files and logs. */
    private Collective coll = Collective.SINGLE;

    /** U-Net defaults for options not given: batch 64, lr 2e-3 warmed up over 300 steps, t logit-normal around ½, 64 samples, out runs/DATA (one attention head: the library's default). */
    private void applyUnetDefaults() {
        var pr = commandSpec.commandLine().getParseResult();
        if (!pr.hasMatchedOption("--batch")) batch = 64;
        if (!pr.hasMatchedOption("--lr")) lr = 2e-3f;
        if (!pr.hasMatchedOption("--warmup")) warmup = 300;
        if (!pr.hasMatchedOption("--time-location")) timeLocation = 0f;
        if (!pr.hasMatchedOption("--samples")) samples = conditional ? 100 : 64;
        if (!pr.hasMatchedOption("--out")) out = Path.of("runs", runName(data));
    }

    /** runs/NAME for --data NAME, runs/photos for --data ~/photos/ (a folder's own name). */
    static String runName(String data) {
        try {
            Path p = Path.of(data.strip());
            if (java.nio.file.Files.isDirectory(p)) {
                Path name = p.toAbsolutePath().normalize().getFileName();
                return name == null ? "images" : name.toString();
            }
        } catch (java.nio.file.InvalidPathException e) {
            return data;
        }
        return data;
    }

    @Override
    public Integer call() {
        if (!model.equals("mlp") && !model.equals("unet")) throw new UserError("unknown --model '" + model + "'; choose mlp or unet");
        boolean unet = model.equals("unet");
        if (unet) applyUnetDefaults();
        else if (conditional) throw new UserError("--conditional needs --model unet");
        if (samples < 0 || samples > 100_000_000) throw new UserError("--samples must be in [0, 100000000], got " + samples);
        if (sampleSteps < 1) throw new UserError("--sample-steps must be ≥ 1, got " + sampleSteps);
        progressOptions.logEveryNanos(); // refuses a bad --log-every before any work
        if (metricsEvery < 1) throw new UserError("--metrics-every must be ≥ 1, got " + metricsEvery);
        if (evalEvery < 0) throw new UserError("--eval-every must be ≥ 0, got " + evalEvery);
        budget = timeBudget == null ? null : Durations.parse(timeBudget, "--time-budget");
        if (budget != null && !commandSpec.commandLine().getParseResult().hasMatchedOption("--steps")) steps = NO_STEP_LIMIT;
        backend.backend(); // refuses an unknown name before any work
        if (!unet) backend.noteIfMlpStaysOnJvm();
        coll = distributed.open(backend.name);
        // MPI_Finalize only on a clean end: a rank that fails exits without it, and mpirun then
        // stops the others (finalizing would wait for ranks blocked in the next all-reduce).
        int code = trainAndSample(unet);
        coll.close();
        return code;
    }

    /** --checkpoint-every, and with --eval-every also its multiples (the evaluation samples the checkpoint). */
    private long checkpointsEvery() {
        if (evalEvery == 0) return checkpointEvery;
        return checkpointEvery == 0 ? evalEvery : java.math.BigInteger.valueOf(checkpointEvery).gcd(java.math.BigInteger.valueOf(evalEvery)).longValue();
    }

    /** The run as the library's {@link Trainer} sees it: every flag is one of its options. */
    private Trainer.Builder builder(boolean unet) {
        Trainer.Builder b = Trainer.builder().data(ImageData.open(data, imageSize)).path(path).mlp(hidden, layers).objective(objective)
                .timeEmbedding(timeEmbedding).frequencies(frequencies).timeSampling(timeSampling).timeLocation(timeLocation)
                .coupling(coupling).sinkhornReg(sinkhornReg).couplingBatch(couplingBatch).batch(batch).steps(steps).lr(lr).lrSchedule(lrSchedule)
                .warmup(warmup).weightDecay(weightDecay).ema(ema).maxGradNorm(maxGradNorm).seed(seed)
                .checkpointEvery(checkpointsEvery()).out(out).resume(resume).backend(backend.name).libraryDir(backend.libraryDir)
                .threads(threads.checked()).collective(coll).timeBudget(budget).dropout(dropout);
        if (unet) b.unet(UNetConfig.parseList(channels)).groups(groups).conditional(conditional).labelDropout(labelDropout);
        if (classWeight != null) b.classWeight(parseClassWeight(classWeight));
        if (attention != null) b.attentionHeads(attention);   // the library refuses a nonzero one without --model unet
        return b;
    }

    /** inf (or infinity) for +∞, else a number. */
    static double parseClassWeight(String s) {
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("inf") || t.equals("infinity") || t.equals("+inf")) return Double.POSITIVE_INFINITY;
        try {
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new UserError("--class-weight: '" + s + "' is not a number (or inf)");
        }
    }

    private int trainAndSample(boolean unet) {
        boolean root = coll.isRoot();
        try (Trainer tr = builder(unet).build()) {
            if (!unet) { // the samples drawn after training count too
                MlpConfig m = new MlpConfig(tr.dim(), hidden, layers, tr.timeEmbedding(), frequencies, fewStep() ? 2 : 1);
                MemoryBudget.check(MemoryBudget.trainingBytes(m, batch) + MemoryBudget.samplingBytes(m, samples),
                        "--batch " + batch + ", --hidden " + hidden + ", --layers " + layers + " and --samples " + samples);
            }
            if (root) {
                if (tr.resumedAt() >= 0) System.err.printf("resumed %s at step %d%n", tr.checkpoint(), tr.resumedAt());
                System.err.printf("coupling: %s%n", tr.couplingDescription());
                System.err.printf("train: %s (dim %d), path %s, %s (%,d parameters), batch %d, %s, %d threads%n",
                        tr.dataName(), tr.dim(), tr.pathName(), tr.modelDescription(), tr.parameterCount(), batch,
                        budget == null ? steps + " steps" : steps == NO_STEP_LIMIT ? "time budget " + Durations.format(budget)
                                : "time budget " + Durations.format(budget) + " (at most " + steps + " steps)", tr.threads());
                if (tr.ranks() > 1)
                    System.err.printf("distributed: %d MPI ranks, %d rows each per step (global batch %d), %d threads each%n",
                            tr.ranks(), tr.localRows(), batch, tr.threads());
                if (!backend.backend().onCpu() && unet)
                    System.err.println("note: --backend " + backend.name + " with a U-Net: its convolutions run on the device (through host"
                            + " memory), the other layers on the JVM; the U-Net is not device-resident yet");
                if (!tr.where().equals("jvm")) System.err.println("backend: " + tr.where());
            }
            RunLog log = root ? new RunLog(out, metricsEvery, tr.resumedAt()) : null;
            if (log != null && tr.resumedAt() >= 0) tr.continueSmoothedLoss(log.resumedSmoothedLoss()); // no step in loss.png
            TrainResult r;
            try {
                if (log != null) log.writeLater("run.json", RunInfo.json("train", commandSpec, facts(tr)));
                if (log != null && evalEvery > 0)
                    log.evaluateEvery(evalEvery, new ProgressEval(out, data, samples > 0 ? Math.min(samples, 5000) : 2000, afterSteps(50), seed + 1));
                r = runWithStopHook(tr, root, unet, log);
            } finally {
                if (log != null) log.close(); // (already closed unless the run threw)
            }
            if (r.budgetReached() && root) System.err.printf("time budget %s reached at step %d%n", Durations.format(budget), r.step());
            if (r.stopped()) return 130;
            if (!root) {
                if (samples > 0) tr.sampleWithStats(sampleRequest()); // every rank takes part in a distributed solve
                return 0;
            }
            if (distributed.on) reportScaling(tr, r);
            System.out.printf("trained %d steps, final loss %.4f (smoothed %.4f); checkpoint %s%n", r.step(), r.finalLoss(),
                    r.smoothedLoss(), r.checkpoint());
            if (samples > 0) sampleAfterTraining(tr);
        }
        return 0;
    }

    /** What run.json says of this run besides the options: the data, model and schedule as the trainer sees them. */
    private java.util.Map<String, Object> facts(Trainer tr) {
        var m = RunInfo.trainer(tr);
        m.put("batch", batch);
        m.put("steps", steps);
        m.put("time_budget_s", budget == null ? null : budget.toSeconds());
        m.put("seed", seed);
        m.put("ranks", tr.ranks());
        m.put("resumed_at", tr.resumedAt() >= 0 ? tr.resumedAt() : null);
        return m;
    }

    /** Both listeners hear everything (the bar first). */
    static ProgressListener both(ProgressListener a, ProgressListener b) {
        if (b == null) return a;
        return new ProgressListener() {
            @Override
            public void onStep(long step, long total, double loss, double smoothed, double lr, double gradNorm) {
                a.onStep(step, total, loss, smoothed, lr, gradNorm);
                b.onStep(step, total, loss, smoothed, lr, gradNorm);
            }

            @Override
            public void onCheckpoint(long step, Path file) {
                a.onCheckpoint(step, file);
                b.onCheckpoint(step, file);
            }

            @Override
            public void onSchedule(java.time.Duration budget, long estimatedSteps, double stepsPerSecond) {
                a.onSchedule(budget, estimatedSteps, stepsPerSecond);
                b.onSchedule(budget, estimatedSteps, stepsPerSecond);
            }
        };
    }

    /** Runs the training with a progress bar; Ctrl-C (SIGTERM) asks it to stop and waits for its checkpoint. */
    private TrainResult runWithStopHook(Trainer tr, boolean root, boolean unet, RunLog log) {
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
            TrainProgress progress = root ? new TrainProgress("train", steps, tr.step(), batch, unet ? "images" : "points", progressOptions, budget) : null;
            TrainResult r = tr.run(root ? both(progress, log) : ProgressListener.NONE);
            if (root) progress.finish(r);
            if (log != null) { // before the shutdown hook may return and the JVM halt: the log's last records
                log.finish();
                log.close();
            }
            if (r.stopped() && root)
                System.err.printf("%ninterrupted at step %d; checkpoint saved to %s (continue with --resume)%n", r.step(), r.checkpoint());
            return r;
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
    private void reportScaling(Trainer tr, TrainResult r) {
        double ms = 1e3 / r.stepsPerSecond();
        double comm = r.allreduceMillisPerStep();
        // formatted first, printed in one write: printf's pieces could interleave with the progress bar on stderr
        System.out.print(String.format("distributed: %d ranks × %d threads, %.2f steps/s (%.2f ms/step); all-reduce %.2f ms/step"
                        + " = %.1f %% of a step, %.2f MB of gradients per step%n", tr.ranks(), threads.threads, 1e3 / ms, ms, comm,
                100 * comm / ms, r.gradientBytes() / 1e6));
    }

    private SampleRequest sampleRequest() {
        return SampleRequest.of(samples).solver(SolverKind.EULER).steps(afterSteps(Integer.MAX_VALUE)).seed(seed + 1);
    }

    private boolean fewStep() { return !objective.trim().equalsIgnoreCase("cfm"); }

    /** Euler steps of the samples drawn after (and during) training: --sample-steps (at most cap); one jump for a few-step model. */
    private int afterSteps(int cap) { return fewStep() ? 1 : Math.min(sampleSteps, cap); }

    /** DIR/trajectory.png: the same noise carried to t = 0, ¼, ½, ¾, 1 by the saved (EMA) model, Euler. */
    private void trajectoryPicture() {
        Path png = out.resolve("trajectory.png");
        try (dev.panflow.api.Flow flow = dev.panflow.api.Flow.load(out.resolve("model.safetensors"))) {
            int n = Math.min(samples, 20000);
            var frames = flow.trajectory(SampleRequest.of(n).solver(SolverKind.EULER).steps(Math.max(1, sampleSteps / 4)).seed(seed + 1),
                    0, 0.25, 0.5, 0.75, 1);
            Plots.trajectory(frames, data, png, new String[] {"t = 0", "t = 1/4", "t = 1/2", "t = 3/4", "t = 1"});
            System.out.println("wrote " + png);
        }
    }

    /** Samples with the EMA weights (Euler, --sample-steps) into DIR/samples.npy and a picture. */
    private void sampleAfterTraining(Trainer tr) {
        SampleProgress progress = new SampleProgress("sample", samples, progressOptions);
        Samples s = tr.sampleWithStats(sampleRequest(), progress);
        progress.finish(s);
        Path npy = out.resolve("samples.npy");
        int[] shape = tr.imageShape();
        if (shape != null) {
            ImageSampling.write(s, "Euler", shape[0], shape[1], shape[2], tr.classes(), npy, out.resolve("samples.png"));
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = ImageSampling.tensor(s, arena);
            Npy.write(npy, x);
            System.out.printf("sampled %d points (%s, %d NFE, %.2f s) -> %s%n", samples, fewStep() ? objective + " one step" : "Euler", s.nfe(),
                    s.seconds(), npy);
            String q = Plots.quality(x, data);
            if (q != null) System.out.println(q);
            if (x.cols() == 2) {
                Path png = out.resolve("samples.png");
                Plots.scatter(x, data, png, fewStep() ? String.format("Panflow %s, 1 step, %s, %d steps", objective, data, tr.step())
                        : String.format("Panflow CFM (%s path), %s, %d steps", path, data, tr.step()));
                System.out.println("wrote " + png);
                if (!fewStep()) trajectoryPicture(); // a few-step model has no ODE to follow
            }
        }
    }
}
