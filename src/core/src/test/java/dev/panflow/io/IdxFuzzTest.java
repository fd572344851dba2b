package dev.panflow.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

/** Fuzz target for the IDX reader, plain and gzip'd (see FuzzTargets.idx); seeds in src/test/resources. */
class IdxFuzzTest {
    static final FuzzStats STATS = new FuzzStats("idx");

    @FuzzTest(maxDuration = "10s")
    void idx(byte[] input) {
        FuzzTargets.idx(input, STATS);
    }

    @AfterAll
    static void report() { STATS.report(); }
}
