package dev.panflow.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.InvalidParameterException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A class-conditional U-Net through the API: Fashion-MNIST's test images, a few steps of a tiny net. */
@Tag("slow") // ~2.6 s: reads 10,000 images
class FlowUNetTest {
    @Test
    void conditionalUNetSamplesAndScores(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/usr/share/datasets/fashion-mnist")),
                "needs dataset-fashion-mnist");
        Path ckpt;
        try (Trainer t = Trainer.builder().data(DataSets.builtIn("fashion-mnist-test")).unet(8, 16).groups(4).conditional(true)
                .steps(3).batch(4).threads(1).out(dir).build()) {
            assertEquals(10, t.classes());
            assertArrayEquals(new int[] {1, 28, 28}, t.imageShape());
            ckpt = t.run(ProgressListener.NONE).checkpoint();
        }
        try (Flow flow = Flow.load(ckpt, LoadOptions.defaults().threads(1).maxConcurrentCalls(2))) {
            ModelInfo i = flow.info();
            assertEquals("unet", i.kind());
            assertEquals(784, i.dim());
            assertArrayEquals(new int[] {1, 28, 28}, i.imageShape());
            assertEquals(10, i.classes());
            try (Flow again = Flow.load(ckpt, LoadOptions.defaults().threads(1))) {
                assertEquals(i, again.info());
                assertEquals(i.hashCode(), again.info().hashCode());
            }
            assertTrue(i.toString().contains("imageShape=[1, 28, 28]"), i.toString());
            SampleRequest req = SampleRequest.of(2).steps(3).seed(4).classLabel(7).guidance(1f);
            float[][] a = flow.sample(req);
            assertEquals(784, a[0].length);
            assertArrayEquals(a, flow.sample(req));
            for (float[][] got : FlowTest.concurrently(2, k -> flow.sample(req))) assertArrayEquals(a, got);
            assertFalse(Arrays.deepEquals(a, flow.sample(req.classLabel(2))), "the class changed nothing");
            assertEquals("classLabel", assertThrows(InvalidParameterException.class, () -> flow.sample(req.classLabel(10))).parameter());
            double[] lp = flow.logLikelihood(a, LikelihoodRequest.defaults().solver("euler", 2));
            for (double v : lp) assertTrue(Double.isFinite(v), Arrays.toString(lp));
            assertArrayEquals(lp, flow.logLikelihood(a, LikelihoodRequest.defaults().solver("euler", 2)));
        }
    }
}
