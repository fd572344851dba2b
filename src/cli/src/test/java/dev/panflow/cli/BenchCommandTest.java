package dev.panflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.io.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class BenchCommandTest {
    @Tag("slow") // ~2 s
    @Test
    void quickJsonRunReportsEveryCaseWithAPositiveRate() {
        CliTest.Run r = CliTest.run("bench", "--quick", "--repeats", "1", "--warmup-seconds", "0", "--json", "--threads", "2",
                "--backend", "jvm,onednn");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().filter(l -> l.startsWith("{")).toList();
        assertEquals(6, lines.size(), r.out());
        String[] whats = {"sgemm 512x512@512x512", "train_step", "sample_euler100"};
        for (int i = 0; i < 6; i++) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) Json.parse(lines.get(i));
            assertEquals(whats[i / 2], m.get("what"));
            assertEquals(i % 2 == 0 ? "jvm" : "onednn", m.get("backend"), "each case on both GEMMs, the JVM's first");
            assertEquals(2.0, ((Number) m.get("threads")).doubleValue());
            double perS = ((Number) m.get("per_s")).doubleValue(), median = ((Number) m.get("median_s")).doubleValue();
            assertTrue(perS > 0 && median > 0, lines.get(i));
        }
        assertTrue(r.err().contains("bench ["), "no progress bar: " + r.err());
    }

    @Test
    void tableByDefaultAndClearErrors() {
        CliTest.Run r = CliTest.run("bench", "--config", "train-small", "--repeats", "1", "--warmup-seconds", "0", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("steps/s") && r.out().contains("hidden 128, batch 256"), r.out());
        // libdnnl.so.2 is installed where the tests run (as for the onednn tests): both GEMMs by default
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("train_step") && l.contains(" jvm ")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("train_step") && l.contains(" onednn ")), r.out());
        CliTest.assertUserError(CliTest.run("bench", "--backend", "scalar"), "--backend scalar: bench measures");
        CliTest.assertUserError(CliTest.run("bench", "--config", "nope"), "unknown bench case 'nope'");
        CliTest.assertUserError(CliTest.run("bench", "--repeats", "0"), "--repeats");
        assertEquals(0, CliTest.run("bench", "--help").code());
    }
}
