package dev.panflow.cli;

import dev.panflow.UserError;
import dev.panflow.backend.Backend;
import dev.panflow.backend.Backends;
import dev.panflow.bench.BenchResult;
import dev.panflow.bench.Benchmarks;
import dev.panflow.kernels.DenseGemm;
import dev.panflow.kernels.Pool;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure this machine: GEMM GFLOP/s, CFM training steps/s and sampling points/s.",
                "Models as in the PyTorch reference (bench/compare runs both side by side):",
                "concat(x, t) -> H -> H -> H -> D, SiLU, OT path, Adam lr 1e-3, no EMA.",
                "Cases (--config):",
                "  gemm          C = A·B, 1024x1024x1024 and 4096x512x512",
                "  train-2d      training: dim 2, hidden 512, batch 4096",
                "  train-small   training: dim 2, hidden 128, batch 256",
                "  train-784     training: dim 784, hidden 1024, batch 256",
                "  sample-euler  sampling: Euler 100 steps, dim 2, --sample-hidden",
                "  sample-rk4    sampling: RK4 25 steps (also 100 evaluations)",
                "Each case warms up (JIT), then reports the median of --repeats.",
                "Every case runs once per --backend: by default on the JVM's GEMM, and again on",
                "oneDNN's (dnnl_sgemm) when libdnnl.so.2 is installed."})
final class BenchCommand implements Callable<Integer> {
    static final List<String> CASES = List.of("gemm", "train-2d", "train-small", "train-784", "sample-euler", "sample-rk4");

    @Option(names = "--config", split = ",", paramLabel = "CASE", description = "Cases to run, comma-separated (default: all). See the list above.")
    List<String> config;
    @Option(names = "--quick", description = "A short run: GEMM 512^3, train-small, and sample-euler on 4096 points, 3 repeats.")
    boolean quick;
    @Option(names = "--repeats", description = "Timed repeats per case; the median is reported (default: ${DEFAULT-VALUE}).")
    int repeats = 5;
    @Option(names = "--warmup-seconds", paramLabel = "S", description = "Untimed warm-up per case, at least (default: ${DEFAULT-VALUE}).")
    double warmupSeconds = 5;
    @Option(names = "--samples", paramLabel = "N", description = "Points per sampling run (default: ${DEFAULT-VALUE}).")
    int samples = 16384;
    @Option(names = "--sample-hidden", paramLabel = "H", description = "Hidden width of the sampled model (default: ${DEFAULT-VALUE}).")
    int sampleHidden = 128;
    @Option(names = "--seed", description = "Seed of weights and data (default: ${DEFAULT-VALUE}).")
    long seed = 0;
    @Option(names = "--backend", split = ",", paramLabel = "NAME", description = "Who runs the dense layers' GEMMs, comma-separated: jvm, or a"
            + " backend with a GEMM of its own (onednn) (default: jvm, and onednn too when libdnnl.so.2 is installed).")
    List<String> backends;
    @Option(names = "--json", description = "Print one JSON line per measurement (the PyTorch reference's fields) instead of a table.")
    boolean json;
    @Mixin
    Threads threads;

    @Override
    public Integer call() {
        if (repeats < 1 || repeats > 1000) throw new UserError("--repeats must be in [1, 1000], got " + repeats);
        if (!(warmupSeconds >= 0 && warmupSeconds <= 600)) throw new UserError("--warmup-seconds must be in [0, 600], got " + warmupSeconds);
        if (samples < 1 || samples > 10_000_000) throw new UserError("--samples must be in [1, 10000000], got " + samples);
        if (sampleHidden < 1 || sampleHidden > 65536) throw new UserError("--sample-hidden must be in [1, 65536], got " + sampleHidden);
        List<String> cases = selected();
        int reps = quick ? Math.min(repeats, 3) : repeats;
        int points = quick ? Math.min(samples, 4096) : samples;
        double warm = quick ? Math.min(warmupSeconds, 1) : warmupSeconds;
        int units = 0;
        for (String c : cases) units += (c.equals("gemm") && !quick ? 2 : 1) * (reps + 1);
        List<BenchResult> results = new ArrayList<>();
        try (Pool pool = new Pool(threads.checked())) {
            Map<String, DenseGemm> gemms = gemms(pool);
            units *= gemms.size();
            ProgressBar bar = new ProgressBar("bench", units);
            int[] done = {0};
            String[] current = {""};
            Benchmarks.Tick tick = () -> bar.update(++done[0], current[0]);
            for (String c : cases)
                for (Map.Entry<String, DenseGemm> g : gemms.entrySet()) {
                    current[0] = c + (gemms.size() > 1 ? " " + g.getKey() : "");
                    DenseGemm d = g.getValue();
                    switch (c) {
                        case "gemm" -> {
                            if (quick) results.add(Benchmarks.gemm(pool, d, 512, 512, 512, reps, tick));
                            else {
                                results.add(Benchmarks.gemm(pool, d, 1024, 1024, 1024, reps, tick));
                                results.add(Benchmarks.gemm(pool, d, 4096, 512, 512, reps, tick));
                            }
                        }
                        case "train-2d" -> results.add(Benchmarks.train(pool, d, 2, 512, 4096, 10, reps, warm, seed, tick));
                        case "train-small" -> results.add(Benchmarks.train(pool, d, 2, 128, 256, 200, reps, warm, seed, tick));
                        case "train-784" -> results.add(Benchmarks.train(pool, d, 784, 1024, 256, 20, reps, warm, seed, tick));
                        case "sample-euler" -> results.add(Benchmarks.sample(pool, d, "euler", 100, 2, sampleHidden, points, reps, warm, seed, tick));
                        case "sample-rk4" -> results.add(Benchmarks.sample(pool, d, "rk4", 25, 2, sampleHidden, points, reps, warm, seed, tick));
                        default -> throw new IllegalStateException(c);
                    }
                }
            bar.finish(done[0], "done");
            if (json) for (BenchResult r : results) System.out.println(r.json());
            else {
                System.out.printf("panflow bench: %d threads, Java %s, %d-float vectors%n", pool.threads(), Runtime.version(),
                        jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length());
                for (BenchResult r : results) System.out.println(r.text());
            }
        }
        return 0;
    }

    /**
     * The dense GEMMs to measure by backend name (null: the JVM's). By default the JVM's and every
     * backend's own that opens; a library that is missing is then noted and skipped.
     */
    private Map<String, DenseGemm> gemms(Pool pool) {
        Map<String, DenseGemm> m = new LinkedHashMap<>();
        if (backends == null || backends.isEmpty()) {
            m.put(Backends.DEFAULT, null);
            for (Backend b : Backends.all()) {
                if (!b.suppliesDenseGemm()) continue;
                try {
                    m.put(b.name(), b.denseGemm(pool, dev.panflow.backend.BackendOptions.DEFAULT));
                } catch (UserError e) {
                    System.err.println("bench: skipping backend " + b.name() + ": " + e.getMessage());
                }
            }
            return m;
        }
        for (String name : backends) {
            Backend b = Backends.byName(name);
            if (b.name().equals(Backends.DEFAULT)) m.put(b.name(), null);
            else if (!b.suppliesDenseGemm())
                throw new UserError("--backend " + b.name() + ": bench measures the JVM's GEMM and backends with one of their own (onednn)");
            else m.put(b.name(), b.denseGemm(pool, dev.panflow.backend.BackendOptions.DEFAULT));
        }
        return m;
    }

    private List<String> selected() {
        if (config == null || config.isEmpty()) return quick ? List.of("gemm", "train-small", "sample-euler") : CASES;
        Map<String, Boolean> seen = new LinkedHashMap<>();
        for (String c : config) {
            String k = c.strip();
            if (!CASES.contains(k)) throw new UserError("unknown bench case '" + c + "'; choose from " + String.join(", ", CASES));
            seen.put(k, true);
        }
        return new ArrayList<>(seen.keySet());
    }
}
