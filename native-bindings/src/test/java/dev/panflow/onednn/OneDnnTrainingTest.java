package dev.panflow.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.api.DataSets;
import dev.panflow.api.Flow;
import dev.panflow.api.LoadOptions;
import dev.panflow.api.ProgressListener;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training an MLP with backend onednn (its dense layers on dnnl_sgemm) through the public API:
 * the same losses as the JVM backend within fp32 drift, bit-exact resume within the backend,
 * and its checkpoint samples on either backend alike. Needs libdnnl.so.2 (never skipped).
 */
@Tag("slow")
class OneDnnTrainingTest {
    @TempDir
    Path dir;

    private static Trainer.Builder run(String backend) {
        // H 64 trains with the row split over the pool; H 300 layer by layer, whole products on OpenMP threads
        return Trainer.builder().data(DataSets.builtIn("checkerboard")).batch(256).steps(60).threads(2).seed(3).backend(backend);
    }

    @Test
    void lossesMatchTheJvmBackend() {
        for (int hidden : new int[] {64, 300}) {
            double[] jvm = losses(run("jvm").mlp(hidden, 3)), dnnl = losses(run("onednn").mlp(hidden, 3));
            // Step 1 runs on the same weights and batch: only the GEMMs' summation order differs.
            assertEquals(jvm[1], dnnl[1], 1e-5 * jvm[1], "H " + hidden + " step 1");
            for (int s = 2; s < jvm.length; s++)
                assertEquals(jvm[s], dnnl[s], 1e-2 * jvm[s], "H " + hidden + " step " + s + " (rounding differences grow through Adam)");
        }
    }

    @Test
    void whereSaysWhoRunsTheDenseLayers() {
        try (Trainer t = run("onednn").mlp(16, 2).build()) {
            assertEquals("jvm, dense layers on onednn", t.where());
        }
    }

    @Test
    void resumeIsBitExactWithinTheBackend() throws Exception {
        Path straight = dir.resolve("straight"), resumed = dir.resolve("resumed");
        Files.createDirectories(resumed);
        UnaryOperator<Trainer.Builder> b = x -> x.mlp(300, 2).checkpointEvery(30).ema(0.9f);
        try (Trainer t = b.apply(run("onednn")).out(straight).build()) {
            t.run(new ProgressListener() {
                @Override
                public void onCheckpoint(long step, Path file) {
                    if (step == 30) copy(file, resumed.resolve("model.safetensors"));
                }
            });
        }
        try (Trainer t = b.apply(run("onednn")).out(resumed).resume(true).build()) {
            assertEquals(30, t.resumedAt());
            assertEquals(60, t.run(ProgressListener.NONE).step());
        }
        assertArrayEquals(Files.readAllBytes(straight.resolve("model.safetensors")), Files.readAllBytes(resumed.resolve("model.safetensors")));

        // Its checkpoint samples alike on the JVM and on oneDNN (fixed-step Euler from the same noise).
        Path model = straight.resolve("model.safetensors");
        float[][] j, d;
        try (Flow f = Flow.load(model, LoadOptions.defaults().threads(2))) { j = f.sample(SampleRequest.of(300).steps(10).seed(1)); }
        try (Flow f = Flow.load(model, LoadOptions.defaults().threads(2).backend("onednn"))) { d = f.sample(SampleRequest.of(300).steps(10).seed(1)); }
        for (int i = 0; i < j.length; i++)
            for (int c = 0; c < j[i].length; c++) assertEquals(j[i][c], d[i][c], 1e-4, "sample " + i);
    }

    private static double[] losses(Trainer.Builder b) {
        double[] l = new double[61];
        try (Trainer t = b.build()) {
            t.run(new ProgressListener() {
                @Override
                public void onStep(long step, long total, double loss, double smoothed) { l[(int) step] = loss; }
            });
        }
        assertTrue(l[60] > 0, "the run reached step 60");
        return l;
    }

    private static void copy(Path from, Path to) {
        try {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
