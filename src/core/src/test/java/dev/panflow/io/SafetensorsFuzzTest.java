package dev.panflow.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

/** Fuzz target for the safetensors reader (see FuzzTargets.safetensors); seeds in src/test/resources. */
class SafetensorsFuzzTest {
    static final FuzzStats STATS = new FuzzStats("safetensors");

    @FuzzTest(maxDuration = "10s")
    void safetensors(byte[] input) {
        FuzzTargets.safetensors(input, STATS);
    }

    @AfterAll
    static void report() { STATS.report(); }
}
