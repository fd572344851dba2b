package dev.panflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One --backend option for train and sample: its choices, and what each refuses, in one line. */
class BackendOptionTest {
    @Test
    void unknownBackendListsTheChoices(@TempDir Path dir) {
        String model = dir.resolve("model.safetensors").toString(), out = dir.resolve("o").toString();
        for (String[] args : new String[][] {{"train", "--backend", "tpu", "--out", out},
                {"sample", "--backend", "tpu", "--model", model, "--out", out}})
            CliTest.assertUserError(CliTest.run(args), "unknown --backend 'tpu'; choose one of jvm, scalar, onednn, cuda");
    }

    @Test
    void cpuConvBackendOnAnMlpSaysItDoesNotApply(@TempDir Path dir) {
        CliTest.Run run = CliTest.run("train", "--backend", "scalar", "--hidden", "8", "--layers", "1", "--batch", "16",
                "--steps", "2", "--samples", "0", "--threads", "1", "--out", dir.toString());
        assertEquals(0, run.code(), run.err());
        assertTrue(run.err().contains("this MLP runs on the JVM"), run.err());
    }

    @Test
    void onednnRunsAnMlpsDenseLayers(@TempDir Path dir) {
        CliTest.Run run = CliTest.run("train", "--backend", "onednn", "--hidden", "8", "--layers", "1", "--batch", "16",
                "--steps", "2", "--samples", "0", "--threads", "1", "--out", dir.toString());
        assertEquals(0, run.code(), run.err());
        assertTrue(!run.err().contains("this MLP runs on the JVM") && run.err().contains("backend: jvm, dense layers on onednn"), run.err());
    }
}
