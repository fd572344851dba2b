package dev.panflow.nn;

import dev.panflow.data.DataSource;
import dev.panflow.data.Datasets;
import dev.panflow.backend.Backends;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.ConvShape;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import dev.panflow.train.CfmTrainer;
import dev.panflow.train.LrSchedule;
import dev.panflow.train.ModelSpec;
import dev.panflow.train.TimeSampling;
import dev.panflow.train.TrainConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Timing of one U-Net CFM training step (not a test): {@link CfmTrainer#trainStep()} with the
 * setup of {@code panflow train --data fashion-mnist --model unet} (channels 32,64,64, groups 8,
 * 16 time frequencies, OT path, logit-normal t, AdamW lr 1e-3, EMA 0.999): data draw, x0 and t,
 * forward, MSE gradient, backward, gradient norm, AdamW, EMA. Convolution calls are timed on the
 * side (a wrapper around the backend), so each step is split into convolution time and the rest.
 * Run from the repository root (after {@code bash bench/build.sh}, which builds the benchmark jar):
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *      -cp bench/target/benchmarks.jar dev.panflow.nn.UNetBench [batch] [threads] [channels] [options]
 *   --backend jvm|onednn|both|cudnn (default jvm; both alternates jvm and onednn step by step in one process;
 *                                cudnn: cuDNN convolutions through the host-memory ConvKernels, the rest on the JVM)
 *   --steps N --warmup N        (timed steps per backend, default 10; untimed steps first: at least N, default 5,
 *                                then on until a step passes with under 20 ms of JIT compilation,
 *   --max-warmup-seconds S       or S seconds have passed, default 60)
 *   --conditional               (class-conditional U-Net, label dropout 0.1)
 *   --attention HEADS           (the self-attention block after the mid block with HEADS heads, as train --attention)
 *   --per-layer                 (also print convolution time per shape)
 *   --list-params               (print PARAM name numel per parameter and the count, then exit)
 *   --dump DIR                  (3 training steps, then one forward/backward on 4 fixed images written as .npy
 *                                files for {@code bench/unet_torch.py --check DIR}; then exit)
 * </pre>
 * Last lines: {@code RESULT backend threads batch median_ms conv_ms params fwd_ms bwd_data_ms bwd_weights_ms min_ms}
 * per backend (medians over the timed steps; conv columns each on their own), for
 * {@code bench/unet_compare.sh}.
 */
public final class UNetBench {
    /** Times every call of the wrapped backend (two nanoTime reads per call: noise next to a conv). */
    static final class Timed implements ConvKernels {
        final ConvKernels inner;
        long fwd, bwdData, bwdWeights;
        double flops;
        /** Per shape, when asked (--per-layer): {forward, backward-data, backward-weights} ns, then their calls, over the timed steps. */
        java.util.Map<ConvShape, long[]> perShape;
        boolean recording;
        Timed(ConvKernels inner) { this.inner = inner; }
        private void add(ConvShape sh, int kind, long ns) {
            if (perShape == null || !recording) return;
            long[] a = perShape.computeIfAbsent(sh, k -> new long[6]);
            a[kind] += ns;
            a[3 + kind]++;
        }
        public void forward(ConvShape sh, MemorySegment x, MemorySegment w, MemorySegment b, MemorySegment y) {
            long t = System.nanoTime(); inner.forward(sh, x, w, b, y); t = System.nanoTime() - t; fwd += t; flops += sh.flops(); add(sh, 0, t);
        }
        public void backwardData(ConvShape sh, MemorySegment dy, MemorySegment w, MemorySegment dx) {
            long t = System.nanoTime(); inner.backwardData(sh, dy, w, dx); t = System.nanoTime() - t; bwdData += t; flops += sh.flops(); add(sh, 1, t);
        }
        public void backwardWeights(ConvShape sh, MemorySegment x, MemorySegment dy, MemorySegment dw, MemorySegment db) {
            long t = System.nanoTime(); inner.backwardWeights(sh, x, dy, dw, db); t = System.nanoTime() - t; bwdWeights += t; flops += sh.flops(); add(sh, 2, t);
        }
        public String name() { return inner.name(); }
        @Override public void close() { try { inner.close(); } catch (Exception e) { throw new RuntimeException(e); } }
        void reset() { fwd = bwdData = bwdWeights = 0; flops = 0; }
        long total() { return fwd + bwdData + bwdWeights; }
    }

    /** One backend's trainer and its per-step samples. */
    static final class Run implements AutoCloseable {
        final String backend;
        final Timed conv;
        final CfmTrainer trainer;
        final List<double[]> samples = new ArrayList<>(); // {step ms, conv ms, fwd, bwdData, bwdW, GFLOP/s}
        Run(String backend, Pool pool, TrainConfig cfg, ModelSpec spec, DataSource data) {
            this.backend = backend;
            this.conv = new Timed(backend.equals("cudnn") ? dev.panflow.cuda.CudnnConvKernels.open(null) : Backends.conv(backend, pool));
            this.trainer = new CfmTrainer(cfg, spec, data, Paths.byName("ot"), pool, conv);
        }
        void step(boolean record) {
            conv.reset();
            conv.recording = record;
            long t0 = System.nanoTime();
            trainer.trainStep();
            long dt = System.nanoTime() - t0;
            if (record)
                samples.add(new double[] {dt * 1e-6, conv.total() * 1e-6, conv.fwd * 1e-6, conv.bwdData * 1e-6, conv.bwdWeights * 1e-6,
                        conv.flops / conv.total()});
        }
        double median(int col) {
            double[] v = samples.stream().mapToDouble(s -> s[col]).sorted().toArray();
            return v.length % 2 == 1 ? v[v.length / 2] : 0.5 * (v[v.length / 2 - 1] + v[v.length / 2]);
        }
        @Override public void close() { trainer.close(); conv.close(); }
    }

    /**
     * For the PyTorch twin's equivalence check ({@code unet_torch.py --check DIR}): three training
     * steps (so the zero-initialised convolutions are not zero any more), then one forward and
     * backward pass on 4 fixed images; writes every parameter and its gradient, x, t, labels
     * (conditional: the last one is the null class), the output v and the upstream gradient dv
     * as .npy files.
     */
    static void dump(Run run, java.nio.file.Path dir) throws java.io.IOException {
        for (int s = 0; s < 3; s++) run.trainer.trainStep();
        FlowModel model = run.trainer.model;
        int n = 4, dim = model.dim();
        try (Arena a = Arena.ofShared()) { // shared: the pool's workers read these
            dev.panflow.tensor.Rng rng = new dev.panflow.tensor.Rng(7);
            dev.panflow.tensor.Tensor x = dev.panflow.tensor.Tensor.allocate(a, n, dim), t = dev.panflow.tensor.Tensor.allocate(a, n),
                    dv = dev.panflow.tensor.Tensor.allocate(a, n, dim), lab = dev.panflow.tensor.Tensor.allocate(a, n);
            rng.fillGaussian(x.segment(), x.size(), 1f);
            rng.fillGaussian(dv.segment(), dv.size(), 1f);
            float[] ts = {0.05f, 0.4f, 0.7f, 0.97f};
            int[] labels = model.classes() > 0 ? new int[] {0, 3, 7, model.classes()} : null;
            for (int i = 0; i < n; i++) {
                t.set(i, ts[i]);
                lab.set(i, labels == null ? -1 : labels[i]);
            }
            MemorySegment v = model.forward(x.segment(), t.segment(), labels, n);
            dev.panflow.tensor.Tensor vt = dev.panflow.tensor.Tensor.allocate(a, n, dim);
            MemorySegment.copy(v, 0, vt.segment(), 0, 4L * n * dim);
            model.backward(dv.segment(), n);
            java.nio.file.Files.createDirectories(dir.resolve("params"));
            java.nio.file.Files.createDirectories(dir.resolve("grads"));
            for (Param p : model.params().params()) {
                int size = (int) p.size(); // flat: .npy output takes rank 1 or 2; the twin reshapes (and transposes Linear weights)
                dev.panflow.io.Npy.write(dir.resolve("params").resolve(p.name() + ".npy"), dev.panflow.tensor.Tensor.wrap(p.value().segment(), size));
                dev.panflow.io.Npy.write(dir.resolve("grads").resolve(p.name() + ".npy"), dev.panflow.tensor.Tensor.wrap(p.grad().segment(), size));
            }
            dev.panflow.io.Npy.write(dir.resolve("x.npy"), x);
            dev.panflow.io.Npy.write(dir.resolve("t.npy"), t);
            dev.panflow.io.Npy.write(dir.resolve("labels.npy"), lab);
            dev.panflow.io.Npy.write(dir.resolve("v.npy"), vt);
            dev.panflow.io.Npy.write(dir.resolve("dv.npy"), dv);
        }
        System.out.println("wrote " + dir + " (" + run.backend + " backend)");
    }

    public static void main(String[] args) throws Exception {
        List<String> pos = new ArrayList<>();
        String backend = "jvm";
        int steps = 10, warmup = 5, maxWarmupSeconds = 60, attention = 0;
        boolean conditional = false, listParams = false, perLayer = false;
        java.nio.file.Path dump = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--backend" -> backend = args[++i];
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--max-warmup-seconds" -> maxWarmupSeconds = Integer.parseInt(args[++i]);
                case "--conditional" -> conditional = true;
                case "--attention" -> attention = Integer.parseInt(args[++i]);
                case "--list-params" -> listParams = true;
                case "--per-layer" -> perLayer = true;
                case "--dump" -> dump = java.nio.file.Path.of(args[++i]);
                default -> {
                    if (args[i].startsWith("--")) throw new IllegalArgumentException("unknown option " + args[i]);
                    pos.add(args[i]);
                }
            }
        }
        int batch = pos.size() > 0 ? Integer.parseInt(pos.get(0)) : 64;
        int threads = pos.size() > 1 ? Integer.parseInt(pos.get(1)) : 2;
        int[] ch = UNetConfig.parseList(pos.size() > 2 ? pos.get(2) : "32,64,64");
        List<String> backends = backend.equals("both") ? List.of("jvm", "onednn")
                : backend.equals("cudnn") ? List.of("cudnn") : List.of(Backends.check(backend));
        // `panflow train --data fashion-mnist --model unet` defaults (TrainCommand, applyUnetDefaults).
        TrainConfig cfg = new TrainConfig("fashion-mnist", "ot", 256, 3, "sinusoidal", 16, batch, 1_000_000, 1e-3f, LrSchedule.COSINE,
                100, 0f, 0.999f, 0f, 0, 0, TimeSampling.LOGIT_NORMAL, 0f);
        ModelSpec spec = new ModelSpec("unet", ch, 8, conditional, 0.1f, 0f, attention);
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(threads)) {
            DataSource data = Datasets.open("fashion-mnist", arena);
            List<Run> runs = new ArrayList<>();
            try {
                for (String b : backends) runs.add(new Run(b, pool, cfg, spec, data));
                ParamStore store = runs.get(0).trainer.model.params();
                if (listParams) {
                    for (Param p : store.params()) System.out.println("PARAM " + p.name() + " " + p.size() + " " + Arrays.toString(p.shape()).replace(" ", ""));
                    System.out.println("PARAMS " + store.count());
                    return;
                }
                if (dump != null) {
                    dump(runs.get(0), dump);
                    return;
                }
                System.out.printf("U-Net %s, groups 8, %s%s, batch %d, %d threads, %,d parameters; backends %s; ≥ %d warm-up + %d timed steps%n",
                        UNetConfig.list(ch), conditional ? "conditional" : "unconditional", attention == 0 ? "" : ", mid attention " + attention + " heads",
                        batch, threads, store.count(),
                        String.join(", ", backends), warmup, steps);
                if (perLayer) for (Run r : runs) r.conv.perShape = new java.util.LinkedHashMap<>();
                // Warm-up: at least `warmup` steps, then on until a step passes with (almost) no JIT compilation
                // (the compiler threads lag behind on a loaded machine; interpreted GroupNorm loops cost seconds).
                var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
                long w0 = System.nanoTime(), before = jit.getTotalCompilationTime();
                int done = 0;
                while (true) {
                    for (Run r : runs) r.step(false);
                    done++;
                    long now = jit.getTotalCompilationTime();
                    boolean quiet = now - before < 20;
                    before = now;
                    if (done >= warmup && (quiet || System.nanoTime() - w0 > maxWarmupSeconds * 1_000_000_000L)) break;
                }
                System.out.printf("warm-up: %d steps, %.1f s (JIT compilation %s after the last)%n", done, (System.nanoTime() - w0) * 1e-9,
                        done >= warmup && jit.getTotalCompilationTime() - before < 20 ? "quiet" : "still busy");
                for (int s = 0; s < steps; s++)
                    for (Run r : runs) {
                        r.step(true);
                        {
                            double[] v = r.samples.getLast();
                            System.out.printf("%-6s step %7.1f ms | conv %7.1f ms (fwd %6.1f, bwd-data %6.1f, bwd-weights %6.1f; %5.1f GFLOP/s) | other %6.1f ms%n",
                                    r.backend, v[0], v[1], v[2], v[3], v[4], v[5], v[0] - v[1]);
                        }
                    }
                if (perLayer)
                    for (Run r : runs) {
                        System.out.printf("%s: convolution time per step by shape (n c h×w → k, r×s, stride; calls per step), ms: forward, backward-data, backward-weights, sum, GFLOP/s%n", r.backend);
                        int timed = r.samples.size();
                        for (var en : r.conv.perShape.entrySet()) {
                            ConvShape sh = en.getKey();
                            long[] a = en.getValue();
                            double f = a[0] * 1e-6 / timed, d = a[1] * 1e-6 / timed, w = a[2] * 1e-6 / timed;
                            System.out.printf("  %3d %3d %2d×%-2d → %3d, %d×%d, s%d; %d× | %7.1f %7.1f %7.1f | %7.1f | %5.1f%n", sh.n(), sh.c(), sh.h(), sh.w(),
                                    sh.k(), sh.r(), sh.s(), sh.stride(), a[3] / timed, f, d, w, f + d + w, sh.flops() * (a[3] + a[4] + a[5]) / timed / ((f + d + w) * 1e6));
                        }
                    }
                for (Run r : runs)
                    System.out.printf("RESULT %s %d %d %.3f %.3f %d %.3f %.3f %.3f %.3f%n", r.backend, threads, batch, r.median(0), r.median(1),
                            store.count(), r.median(2), r.median(3), r.median(4), r.samples.stream().mapToDouble(v -> v[0]).min().orElseThrow());
            } finally {
                for (Run r : runs) r.close();
            }
        }
    }
}
