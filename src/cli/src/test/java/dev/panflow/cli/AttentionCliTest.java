package dev.panflow.cli;

import static dev.panflow.cli.CliTest.assertUserError;
import static dev.panflow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.FashionMnist;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train --attention: the U-Net gets the mid self-attention block, the checkpoint carries it to sample and nll; bad uses are one-line errors. */
class AttentionCliTest {
    @TempDir Path dir;

    @BeforeEach
    void fakeDataSet() throws Exception {
        ImageCliTest.writeFakeFashionMnist(dir);
        System.setProperty(FashionMnist.DIR_PROPERTY, dir.toString());
    }

    @AfterEach
    void restore() { System.clearProperty(FashionMnist.DIR_PROPERTY); }

    @Test
    void attentionTrainsAndTheCheckpointCarriesIt() {
        Path out = dir.resolve("run");
        CliTest.Run t = run("train", "--data", "fashion-mnist", "--model", "unet", "--channels", "4,8", "--groups", "2", "--attention", "2",
                "--batch", "4", "--steps", "3", "--samples", "0", "--threads", "2", "--out", out.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(t.err().contains("U-Net 4,8, mid attention 2 heads"), t.err());
        String model = out.resolve("model.safetensors").toString();
        CliTest.Run s = run("sample", "--model", model, "--n", "2", "--steps", "2", "--no-png", "--out", dir.resolve("s.npy").toString());
        assertEquals(0, s.code(), s.err());
        CliTest.Run n = run("nll", "--model", model, "--n", "2", "--atol", "1e-3", "--rtol", "1e-3", "--threads", "1");
        assertEquals(0, n.code(), n.err());
        // --attention alone: one head, as with no flag (the --model unet default); --attention 0 is another
        // configuration, which resume refuses
        CliTest.Run one = run("train", "--data", "fashion-mnist", "--model", "unet", "--channels", "4,8", "--groups", "2", "--attention",
                "--batch", "4", "--steps", "1", "--samples", "0", "--threads", "1", "--out", dir.resolve("one").toString());
        assertEquals(0, one.code(), one.err());
        assertTrue(one.err().contains("mid attention 1 head "), one.err());
        CliTest.Run byDefault = run("train", "--data", "fashion-mnist", "--model", "unet", "--channels", "4,8", "--groups", "2",
                "--batch", "4", "--steps", "1", "--samples", "0", "--threads", "1", "--out", dir.resolve("default").toString());
        assertEquals(0, byDefault.code(), byDefault.err());
        assertTrue(byDefault.err().contains("mid attention 1 head "), byDefault.err());
        CliTest.Run none = run("train", "--data", "fashion-mnist", "--model", "unet", "--channels", "4,8", "--groups", "2", "--attention", "0",
                "--batch", "4", "--steps", "1", "--samples", "0", "--threads", "1", "--out", dir.resolve("none").toString());
        assertEquals(0, none.code(), none.err());
        assertFalse(none.err().contains("mid attention"), none.err());
        assertUserError(run("train", "--data", "fashion-mnist", "--model", "unet", "--channels", "4,8", "--groups", "2", "--attention", "0",
                "--batch", "4", "--steps", "5", "--samples", "0", "--threads", "1", "--out", out.toString(), "--resume"), "another configuration");
    }

    @Test
    void badAttentionOptionsAreUserErrors() {
        assertUserError(run("train", "--attention", "--steps", "1", "--out", dir.resolve("x").toString()), "--attention needs --model unet");
        assertUserError(run("train", "--data", "fashion-mnist", "--model", "unet", "--channels", "4,8", "--groups", "2", "--attention", "3",
                "--steps", "1", "--out", dir.resolve("x").toString()), "--attention 3 does not divide 8, the last entry of --channels");
        assertUserError(run("train", "--data", "fashion-mnist", "--model", "unet", "--channels", "4,8", "--groups", "2", "--attention=-1",
                "--steps", "1", "--out", dir.resolve("x").toString()), "--attention must be in [0, 8]");
    }
}
