package dev.panflow.cli;

import static dev.panflow.cli.CliTest.assertUserError;
import static dev.panflow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every flag out of range is refused up front: exit code 2, one line naming the flag and its limit. */
class LimitsTest {
    @TempDir Path dir;

    void train(String fragment, String... flags) {
        Path out = dir.resolve("o");
        // small defaults, each replaced by the flag under test (picocli refuses a repeated option)
        java.util.Map<String, String> opts = new java.util.LinkedHashMap<>();
        for (String[] kv : new String[][] {{"--out", out.toString()}, {"--steps", "1"}, {"--samples", "0"}, {"--hidden", "8"},
                {"--layers", "1"}, {"--batch", "8"}})
            opts.put(kv[0], kv[1]);
        for (int i = 0; i + 1 < flags.length; i += 2) opts.put(flags[i], flags[i + 1]);
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train"));
        opts.forEach((k, v) -> { args.add(k); args.add(v); });
        assertUserError(run(args.toArray(String[]::new)), fragment);
        assertFalse(Files.exists(out.resolve("model.safetensors")), "a refused run must not write a checkpoint");
    }

    @Test
    void trainFlagsOutOfRange() {
        train("--batch must be in [1, 4194304], got 0", "--batch", "0");
        train("--batch must be in [1, 4194304], got -3", "--batch", "-3");
        train("--batch must be in [1, 4194304], got 5000000", "--batch", "5000000");
        train("--steps must be ≥ 1, got 0", "--steps", "0");
        train("--steps must be ≥ 1, got -5", "--steps", "-5");
        train("--hidden must be in [1, 65536], got 0", "--hidden", "0");
        train("--hidden must be in [1, 65536], got 100000", "--hidden", "100000");
        train("--layers must be in [1, 64], got 0", "--layers", "0");
        train("frequencies must be in [1, 1024], got 0", "--frequencies", "0");
        train("--lr must be in (0, 10), got 0.0", "--lr", "0");
        train("--lr must be in (0, 10), got NaN", "--lr", "NaN");
        train("--lr must be in (0, 10), got -1.0", "--lr", "-1");
        train("--ema must be in [0, 1), got 1.0", "--ema", "1");
        train("--warmup must be ≥ 0", "--warmup", "-1");
        train("--weight-decay must be in [0, 1)", "--weight-decay", "2");
        train("--max-grad-norm must be ≥ 0", "--max-grad-norm", "-1");
        train("--checkpoint-every must be ≥ 0", "--checkpoint-every", "-1");
        train("--samples must be in [0, 100000000], got -1", "--samples", "-1");
        train("--sample-steps must be ≥ 1, got 0", "--sample-steps", "0");
        train("--time-location must be in [-5, 5]", "--time-location", "9");
        int max = 4 * Runtime.getRuntime().availableProcessors() + 4;
        train("--threads must be in [1, " + max + "] on this machine, got 0", "--threads", "0");
        train("--threads must be in [1, " + max + "] on this machine, got " + (max + 1), "--threads", Integer.toString(max + 1));
        train("Invalid value for option '--batch': 'many' is not an int", "--batch", "many");
        train("Invalid value for option '--batch'", "--batch", "99999999999");
    }

    @Test
    void aBatchThatCannotFitIsRefusedWithTheLimit() {
        train("needs about", "--batch", "4194304", "--hidden", "65536", "--layers", "8");
        train("the limit on this machine is", "--batch", "4194304", "--hidden", "65536", "--layers", "8");
        train("of off-heap buffers", "--samples", "100000000", "--hidden", "65536", "--layers", "64");
    }

    @Test
    void unknownNames() {
        train("unknown dataset 'mystery'", "--data", "mystery");
        train("zigzag", "--path", "zigzag");
        train("unknown --time-embedding 'fourier'", "--time-embedding", "fourier");
        train("unknown --lr-schedule 'step'", "--lr-schedule", "step");
        train("Unknown options: '--colour', 'blue'", "--colour", "blue");
        train("time-sampling", "--time-sampling", "beta");
    }

    @Test
    void sampleFlagsOutOfRange() throws Exception {
        Path model = dir.resolve("run").resolve("model.safetensors");
        run("train", "--out", model.getParent().toString(), "--steps", "1", "--samples", "0", "--hidden", "8", "--layers", "1",
                "--batch", "8", "--threads", "1");
        String m = model.toString(), out = dir.resolve("s.npy").toString();
        assertUserError(run("sample", "--model", m, "--n", "0", "--out", out), "--n must be in [1, 100000000], got 0");
        assertUserError(run("sample", "--model", m, "--n", "-4", "--out", out), "--n must be in [1, 100000000], got -4");
        assertUserError(run("sample", "--model", m, "--steps", "0", "--out", out), "steps must be at least 1, got 0");
        assertUserError(run("sample", "--model", m, "--solver", "leapfrog", "--out", out), "unknown solver 'leapfrog'");
        assertUserError(run("sample", "--model", m, "--solver", "dopri5", "--atol", "0", "--rtol", "0", "--out", out), "--atol and --rtol");
        assertUserError(run("sample", "--model", m, "--threads", "0", "--out", out), "--threads must be in [1,");
        assertFalse(Files.exists(Path.of(out)));
    }
}
