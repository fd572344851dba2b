package dev.panflow.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

/** Fuzz target for the csv reader (see FuzzTargets.csv); seeds in src/test/resources. */
class CsvFuzzTest {
    static final FuzzStats STATS = new FuzzStats("csv");

    @FuzzTest(maxDuration = "10s")
    void csv(byte[] input) {
        FuzzTargets.csv(input, STATS);
    }

    @AfterAll
    static void report() { STATS.report(); }
}
