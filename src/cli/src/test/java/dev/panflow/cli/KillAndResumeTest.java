package dev.panflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.io.Safetensors;
import dev.panflow.train.Checkpoint;
import java.io.File;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of 'panflow train' as a separate process: killed (SIGKILL, and once SIGTERM) at
 * random moments while it rewrites its checkpoint every few steps, the last checkpoint always
 * loads, and resuming from it, kill after kill, ends on exactly the weights of a run never killed.
 */
@Tag("slow") // ~6 s: kills a training JVM and resumes it
class KillAndResumeTest {
    static final String[] TRAIN = {"train", "--data", "moons", "--hidden", "32", "--layers", "2", "--batch", "64",
            "--steps", "1200", "--checkpoint-every", "4", "--samples", "0", "--threads", "1", "--seed", "5"};

    /** The same java, classpath and module flags as this test JVM, running the CLI. */
    static Process launch(Path out, boolean resume, Path log) throws Exception {
        List<String> cmd = ChildJvm.java();
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(TRAIN));
        cmd.addAll(List.of("--out", out.toString()));
        if (resume) cmd.add("--resume");
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Step of the checkpoint, which must load as a model; -1 when there is none yet. */
    static long loadStep(Path ckpt) {
        if (!Files.exists(ckpt)) return -1;
        try (Arena a = Arena.ofConfined()) {
            return Checkpoint.readModel(ckpt, a, true).step();
        }
    }

    @Test
    void killedRunsResumeToTheUninterruptedWeights(@TempDir Path dir) throws Exception {
        Path straight = dir.resolve("straight"), killed = dir.resolve("killed"), log = dir.resolve("log.txt");
        Path ckpt = killed.resolve("model.safetensors");
        Random rnd = new Random(42);
        long last = -1;
        int kills = 0, midWrite = 0;
        for (int round = 0; round < 5; round++) {
            Process p = launch(killed, last >= 0, log);
            // wait for training to be under way (the checkpoint is rewritten every 4 steps), then kill at random
            long t0 = System.nanoTime();
            while (p.isAlive() && loadStepQuiet(ckpt) <= last && System.nanoTime() - t0 < 30_000_000_000L) Thread.sleep(20);
            Thread.sleep(rnd.nextInt(150)); // short: on a fast machine the run must not end before the kills
            if (!p.isAlive()) break; // finished before the kill: fine, the loop below completes it
            boolean graceful = round == 2;
            if (Files.exists(killed.resolve("model.safetensors.tmp"))) midWrite++;
            if (graceful) p.destroy(); else p.destroyForcibly();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            if (graceful) // SIGTERM: the JVM exits with 143 after the shutdown hook let the loop save
                assertTrue(Files.readString(log).contains("checkpoint saved"), Files.readString(log));
            kills++;
            long step = loadStep(ckpt); // throws if the checkpoint is torn
            assertTrue(step >= last, "checkpoint went back from step " + last + " to " + step);
            last = step;
        }
        assertTrue(kills >= 3, "only " + kills + " kills landed during training; " + Files.readString(log));
        long t = System.nanoTime();
        assertEquals(0, CliTest.run(CliTest.cat(TRAIN, "--out", killed.toString(), "--resume")).code());
        assertEquals(0, CliTest.run(CliTest.cat(TRAIN, "--out", straight.toString())).code());
        System.out.printf("kill test: the two in-process runs took %.1f s%n", (System.nanoTime() - t) / 1e9);
        CliTest.assertSameTensors(straight.resolve("model.safetensors"), ckpt);
        System.out.printf("kill test: %d kills, last at step %d, %d while a checkpoint temp file existed%n", kills, last, midWrite);
    }

    static long loadStepQuiet(Path ckpt) {
        try {
            return loadStep(ckpt);
        } catch (RuntimeException torn) {
            throw new AssertionError("checkpoint unreadable while training: " + torn.getMessage(), torn);
        }
    }
}
