package dev.panflow.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

/** Fuzz target for the json reader (see FuzzTargets.json); seeds in src/test/resources. */
class JsonFuzzTest {
    static final FuzzStats STATS = new FuzzStats("json");

    @FuzzTest(maxDuration = "10s")
    void json(byte[] input) {
        FuzzTargets.json(input, STATS);
    }

    @AfterAll
    static void report() { STATS.report(); }
}
