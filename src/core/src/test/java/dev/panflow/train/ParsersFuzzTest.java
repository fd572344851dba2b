package dev.panflow.train;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.panflow.io.FuzzStats;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;

/**
 * Every parser behind one fuzz target: the first byte picks the parser, the rest is its input.
 * Jazzer fuzzes one target per JVM and a JVM with its agent takes seconds to start, so the
 * short fuzz of every test run drives this one; bin/fuzz fuzzes each parser's own target longer.
 * Its seeds are the other targets' seeds with their selector byte in front (FuzzSeeds).
 */
class ParsersFuzzTest {
    static final FuzzStats STATS = new FuzzStats("all-parsers");
    static final String[] PARSERS = {"safetensors", "npy", "csv", "json", "checkpoint", "idx"};

    @FuzzTest(maxDuration = "30s")
    void anyParser(byte[] input) {
        if (input.length == 0) return;
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        switch (Math.floorMod(input[0], PARSERS.length)) {
            case 0 -> dev.panflow.io.FuzzTargets.safetensors(rest, STATS);
            case 1 -> dev.panflow.io.FuzzTargets.npy(rest, STATS);
            case 2 -> dev.panflow.io.FuzzTargets.csv(rest, STATS);
            case 3 -> dev.panflow.io.FuzzTargets.json(rest, STATS);
            case 4 -> CheckpointFuzzTest.target(rest, STATS);
            default -> dev.panflow.io.FuzzTargets.idx(rest, STATS);
        }
    }

    @AfterAll
    static void report() { STATS.report(); }
}
