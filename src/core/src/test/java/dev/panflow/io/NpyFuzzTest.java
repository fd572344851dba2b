package dev.panflow.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

/** Fuzz target for the npy reader (see FuzzTargets.npy); seeds in src/test/resources. */
class NpyFuzzTest {
    static final FuzzStats STATS = new FuzzStats("npy");

    @FuzzTest(maxDuration = "10s")
    void npy(byte[] input) {
        FuzzTargets.npy(input, STATS);
    }

    @AfterAll
    static void report() { STATS.report(); }
}
