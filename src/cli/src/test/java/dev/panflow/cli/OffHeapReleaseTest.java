package dev.panflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Off-heap memory is released on error paths. Method: Native Memory Tracking in a child JVM
 * (NativeMemoryProbe): arena memory is malloc'd under NMT's "Other" category, so its committed
 * size must not grow over a hundred rounds of failing loads (each round would leak megabytes:
 * a failing --resume builds a whole trainer first), while a deliberate leak of 64 MiB shows up.
 * (The "direct" BufferPoolMXBean does not count Arena memory on JDK 25, so it cannot be used.)
 */
@Tag("slow") // ~5 s: a child JVM per failing load
class OffHeapReleaseTest {
    static long growthKb(Path dir, String mode, int rounds, String... commands) throws Exception {
        List<String> cmd = ChildJvm.java();
        cmd.addAll(List.of("-XX:NativeMemoryTracking=summary", "-cp", System.getProperty("java.class.path"),
                NativeMemoryProbe.class.getName(), mode, Integer.toString(rounds), "--"));
        cmd.addAll(List.of(commands));
        Path log = dir.resolve(mode + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe did not finish");
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        Matcher m = Pattern.compile("other-growth-kb (-?\\d+)").matcher(out);
        assertTrue(m.find(), out);
        System.out.println("off-heap " + mode + ": " + out.substring(m.start()).strip());
        return Long.parseLong(m.group(1));
    }

    @Test
    void failingLoadsLeaveNoNativeMemoryBehind(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run"), model = run.resolve("model.safetensors");
        String[] train = {"train", "--data", "moons", "--hidden", "64", "--layers", "2", "--batch", "512", "--steps", "2",
                "--samples", "0", "--threads", "1", "--out", run.toString()};
        assertEquals(0, CliTest.run(train).code());
        byte[] good = Files.readAllBytes(model);
        Path truncated = dir.resolve("t.safetensors"), lying = dir.resolve("l.safetensors"), badNpy = dir.resolve("b.npy");
        Files.write(truncated, java.util.Arrays.copyOf(good, good.length - 7));
        String text = new String(good, StandardCharsets.ISO_8859_1).replace("\"hidden\":\"64\"", "\"hidden\":\"65\"");
        Files.write(lying, text.getBytes(StandardCharsets.ISO_8859_1));
        Files.write(badNpy, new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 4, 0, '{', '}', ' ', '\n'});
        String out = dir.resolve("s.npy").toString();
        List<String> cmds = new ArrayList<>(List.of("sample", "--model", truncated.toString(), "--out", out, ";",
                "sample", "--model", lying.toString(), "--n", "10", "--out", out, ";",
                "train", "--data", badNpy.toString(), "--out", dir.resolve("x").toString(), ";"));
        // a whole trainer (about 1 MB of buffers) is built, then the checkpoint's config does not match
        cmds.addAll(List.of(CliTest.cat(train, "--batch", "500", "--resume")));
        long leak = growthKb(dir, "leak", 64);
        assertTrue(leak >= 60 * 1024, "NMT did not see a 64 MiB leak: " + leak + " KB");
        long growth = growthKb(dir, "fail", 100, cmds.toArray(String[]::new));
        assertTrue(growth < 1024, "native memory grew by " + growth + " KB over 400 failing loads");
    }
}
