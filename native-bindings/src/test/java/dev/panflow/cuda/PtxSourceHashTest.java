package dev.panflow.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The checked-in PTX must come from the checked-in CUDA source: there is no nvcc in the build,
 * so an edited .cu with a stale .ptx would otherwise ship silently. build-ptx.sh writes the
 * source's SHA-256 as the PTX's first line; this compares it with the .cu as it is now.
 * Needs no GPU.
 */
class PtxSourceHashTest {
    static final String PREFIX = "// panflow-source-sha256: ";

    /** native-bindings/, where surefire runs (basedir) or below the working directory. */
    static Path moduleDir() {
        Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        return Files.isDirectory(base.resolve("src/main/cuda")) ? base : base.resolve("native-bindings");
    }

    @Test
    void everyPtxRecordsTheHashOfItsSource() throws IOException, NoSuchAlgorithmException {
        Path dir = moduleDir();
        List<Path> sources;
        try (Stream<Path> s = Files.list(dir.resolve("src/main/cuda"))) {
            sources = s.filter(p -> p.toString().endsWith(".cu")).sorted().toList();
        }
        assertFalse(sources.isEmpty(), "no .cu under " + dir.resolve("src/main/cuda"));
        for (Path cu : sources) {
            String name = cu.getFileName().toString().replaceFirst("\\.cu$", ".ptx");
            Path ptx = dir.resolve("src/main/resources/dev/panflow/cuda").resolve(name);
            assertTrue(Files.isRegularFile(ptx), cu.getFileName() + " has no " + ptx);
            String first;
            try (Stream<String> lines = Files.lines(ptx)) {
                first = lines.findFirst().orElse("");
            }
            assertTrue(first.startsWith(PREFIX), ptx.getFileName() + " lacks its '" + PREFIX.trim() + "' line: rebuild with build-ptx.sh");
            String actual = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(cu)));
            assertEquals(actual, first.substring(PREFIX.length()).trim(),
                    cu.getFileName() + " changed since " + ptx.getFileName() + " was built: run native-bindings/build-ptx.sh");
        }
    }
}
