package dev.panflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.io.Npy;
import dev.panflow.io.Safetensors;
import dev.panflow.io.SafetensorsFile;
import dev.panflow.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training over Open MPI (mpirun --oversubscribe -np 2 on loopback): 2 ranks with
 * global batch B reach the weights of 1 process with batch B and the same seed, a distributed run
 * resumes, and distributed sampling gathers exactly the one-process samples. Needs Open MPI
 * (CI installs it: apt-get install openmpi-bin libopenmpi-dev); fails with that hint otherwise.
 */
@Tag("slow") // ~6 s a test: mpirun with two JVMs
@Tag("mpi")
class DistributedTrainingTest {
    /** An odd global batch: the ranks hold 64 and 65 rows, so uneven blocks are covered too. */
    static final String[] TRAIN = {"train", "--data", "moons", "--hidden", "48", "--layers", "2", "--batch", "129",
            "--lr", "3e-3", "--lr-schedule", "constant", "--warmup", "0", "--sample-steps", "8",
            "--threads", "1", "--seed", "11", "--checkpoint-every", "0"};

    /** The same java, classpath and module flags as this test JVM, running the CLI. */
    static List<String> java(String... args) {
        List<String> cmd = ChildJvm.java();
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** mpirun -np N around the CLI; root needs --allow-run-as-root. */
    static List<String> mpirun(int ranks, String... args) {
        List<String> cmd = new ArrayList<>(List.of("mpirun", "--oversubscribe", "-np", Integer.toString(ranks)));
        if ("root".equals(System.getProperty("user.name"))) cmd.add("--allow-run-as-root");
        cmd.addAll(java(args));
        return cmd;
    }

    static String run(List<String> cmd, Path log) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new AssertionError("cannot start " + cmd.get(0) + " (apt-get install openmpi-bin libopenmpi-dev): " + e.getMessage());
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + out);
        return out;
    }

    static String[] cat(String[] a, String... b) { return CliTest.cat(a, b); }

    /** Largest |a − b| / max|a| over every tensor of two checkpoints (weights, EMA, Adam moments). */
    static double checkpointDifference(Path a, Path b) {
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile fa = Safetensors.read(a, arena), fb = Safetensors.read(b, arena);
            assertEquals(fa.tensors().keySet(), fb.tensors().keySet());
            assertEquals(fa.metadata().get("step"), fb.metadata().get("step"));
            assertEquals(fa.metadata().get("rng"), fb.metadata().get("rng"), "the ranks must draw the one-process random stream");
            double worst = 0;
            for (String k : fa.tensors().keySet())
                worst = Math.max(worst, relDiff(fa.tensors().get(k), fb.tensors().get(k)));
            return worst;
        }
    }

    static double relDiff(Tensor x, Tensor y) {
        assertEquals(x.size(), y.size());
        MemorySegment sx = x.segment(), sy = y.segment();
        double scale = 0, diff = 0;
        for (long i = 0; i < x.size(); i++) {
            float u = sx.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i), v = sy.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            scale = Math.max(scale, Math.abs(u));
            diff = Math.max(diff, Math.abs(u - v));
        }
        return scale == 0 ? diff : diff / scale;
    }

    static double npyDifference(Path a, Path b) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Npy.read(a, arena), y = Npy.read(b, arena);
            assertEquals(x.rows(), y.rows());
            assertEquals(x.cols(), y.cols());
            return relDiff(x, y);
        }
    }

    @Test
    void twoRanksReachTheOneProcessWeights(@TempDir Path dir) throws Exception {
        Path one = dir.resolve("one"), two = dir.resolve("two"), log = dir.resolve("log.txt");
        run(java(cat(TRAIN, "--steps", "25", "--samples", "257", "--out", one.toString())), log);
        String out = run(mpirun(2, cat(TRAIN, "--steps", "25", "--samples", "257", "--distributed", "--out", two.toString())), log);
        assertTrue(out.contains("2 MPI ranks, 64 rows each"), out); // rank 0 logs; rank 0 holds 64 of the 129 rows
        // stdout and stderr share the log, so the progress bar may split this line: check its parts
        assertTrue(out.contains("2 ranks × 1 threads") && out.contains("% of a step"), out);
        assertEquals(1, out.split("trained 25 steps", -1).length - 1, "only rank 0 reports: " + out);
        double d = checkpointDifference(one.resolve("model.safetensors"), two.resolve("model.safetensors"));
        // Only the order of float additions differs (two partial gradient sums, then one all-reduce).
        assertTrue(d < 1e-4, "2-rank weights differ from 1-process weights by " + d);
        double s = npyDifference(one.resolve("samples.npy"), two.resolve("samples.npy"));
        assertTrue(s < 1e-3, "gathered samples differ by " + s);
        // The test can fail: a different seed moves the weights far beyond the tolerance.
        Path other = dir.resolve("other");
        String[] seed12 = TRAIN.clone();
        seed12[List.of(TRAIN).indexOf("--seed") + 1] = "12";
        run(java(cat(seed12, "--steps", "25", "--samples", "0", "--out", other.toString())), log);
        assertTrue(checkpointDifference2(one.resolve("model.safetensors"), other.resolve("model.safetensors")) > 1e-2);
    }

    /** Weights only (different seeds also differ in their RNG state, which the strict version checks). */
    static double checkpointDifference2(Path a, Path b) {
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile fa = Safetensors.read(a, arena), fb = Safetensors.read(b, arena);
            double worst = 0;
            for (String k : fa.tensors().keySet())
                if (k.startsWith("net.")) worst = Math.max(worst, relDiff(fa.tensors().get(k), fb.tensors().get(k)));
            return worst;
        }
    }

    @Test
    void distributedRefusesTheCudaBackendInOneLine(@TempDir Path dir) {
        CliTest.assertUserError(CliTest.run("train", "--distributed", "--backend", "cuda", "--steps", "1", "--out", dir.toString()),
                "--distributed runs on the CPU backends");
    }

    @Test
    void distributedRunResumesToTheStraightWeights(@TempDir Path dir) throws Exception {
        Path straight = dir.resolve("straight"), resumed = dir.resolve("resumed"), log = dir.resolve("log.txt");
        String[] noSamples = cat(TRAIN, "--samples", "0");
        run(java(cat(noSamples, "--steps", "30", "--out", straight.toString())), log);
        run(mpirun(2, cat(noSamples, "--steps", "12", "--distributed", "--out", resumed.toString())), log);
        String out = run(mpirun(2, cat(noSamples, "--steps", "30", "--distributed", "--resume", "--out", resumed.toString())), log);
        assertTrue(out.contains("resumed") && out.contains("at step 12"), out);
        double d = checkpointDifference(straight.resolve("model.safetensors"), resumed.resolve("model.safetensors"));
        assertTrue(d < 1e-4, "resumed 2-rank weights differ from the straight run by " + d);
    }

    @Test
    void distributedSamplingGathersTheOneProcessSamples(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run"), log = dir.resolve("log.txt");
        run(java(cat(TRAIN, "--steps", "5", "--samples", "0", "--out", run.toString())), log);
        String model = run.resolve("model.safetensors").toString();
        Path one = dir.resolve("one.npy"), three = dir.resolve("three.npy");
        String[] sample = {"sample", "--model", model, "--n", "1001", "--solver", "rk4", "--steps", "6", "--threads", "1"};
        run(java(cat(sample, "--out", one.toString())), log);
        String out = run(mpirun(3, cat(sample, "--distributed", "--out", three.toString())), log);
        assertEquals(1, out.split("1001 samples", -1).length - 1, "only rank 0 writes and reports: " + out);
        // Fixed-step solver, the same noise: each rank's block is the one-process computation of those rows.
        assertEquals(0.0, npyDifference(one, three), 1e-6);
    }
}
