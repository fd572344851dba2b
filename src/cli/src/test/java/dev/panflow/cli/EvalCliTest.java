package dev.panflow.cli;

import static dev.panflow.cli.CliTest.assertUserError;
import static dev.panflow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.FashionMnist;
import dev.panflow.io.Npy;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** eval train-features / eval fid with the default names, on the tiny Fashion-MNIST stand-in of {@link ImageCliTest}. */
class EvalCliTest {
    @TempDir Path dir;

    @BeforeEach
    void fakeDataSet() throws Exception {
        ImageCliTest.writeFakeFashionMnist(dir);
        System.setProperty(FashionMnist.DIR_PROPERTY, dir.toString());
    }

    @AfterEach
    void restore() { System.clearProperty(FashionMnist.DIR_PROPERTY); }

    @org.junit.jupiter.api.Tag("slow")
    @Test
    void trainFeaturesThenFidAgainstTheTestSplitWithTheTrainingSplitAsFloor() throws Exception {
        Path f = dir.resolve("feat.safetensors");
        var r = run("eval", "train-features", "--data", "fashion-mnist", "--epochs", "2", "--batch", "8", "--threads", "2", "--quiet", "--out", f.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("test accuracy") && r.out().contains("fashion-mnist-test"), r.out());
        Path s = dir.resolve("noise.npy");
        try (Arena a = Arena.ofConfined()) {
            Tensor t = Tensor.allocate(a, 10, 64);
            new Rng(1).fillGaussian(t.segment(), t.size(), 1f);
            Npy.write(s, t);
        }
        r = run("eval", "fid", "--samples", s.toString(), "--features", f.toString(), "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("10 samples against 20 images of fashion-mnist-test"), r.out());
        assertTrue(r.out().contains("floor: 10 real images of fashion-mnist"), r.out());
        String fid = r.out().lines().filter(l -> l.startsWith("FID")).findFirst().orElseThrow();
        String[] v = fid.trim().split("\\s+");
        assertTrue(Double.parseDouble(v[1]) > Double.parseDouble(v[2]), "noise should score worse than its floor: " + fid);
        assertUserError(run("eval", "fid", "--samples", s.toString(), "--features", dir.resolve("nope").toString()), "no feature network");
        assertUserError(run("eval", "fid", "--samples", s.toString(), "--features", s.toString()), "noise.npy"); // not a safetensors file
        assertUserError(run("eval", "train-features", "--data", "fashion-mnist", "--epochs", "0"), "--epochs must be in");
    }
}
