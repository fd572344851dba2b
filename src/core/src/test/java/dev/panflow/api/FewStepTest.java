package dev.panflow.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.data.SampleDistance;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Few-step objectives through the public API: training, the checkpoint's objective, the one-/few-step rule, refusals. */
class FewStepTest {
    @TempDir
    Path dir;

    static double energyToData(float[][] samples, float[][] data) {
        int dim = data[0].length;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment x = a.allocate(4L * samples.length * dim), y = a.allocate(4L * data.length * dim);
            for (int i = 0; i < samples.length; i++) MemorySegment.copy(samples[i], 0, x, ValueLayout.JAVA_FLOAT, 4L * i * dim, dim);
            for (int i = 0; i < data.length; i++) MemorySegment.copy(data[i], 0, y, ValueLayout.JAVA_FLOAT, 4L * i * dim, dim);
            return SampleDistance.energy(x, samples.length, y, data.length, dim);
        }
    }

    /**
     * 1500 steps on two blobs: 1-step samples of the trained model land far closer to
     * the data than the noise they start from (energy distance), and the checkpoint says which
     * objective it holds.
     */
    @Tag("slow")
    @ParameterizedTest
    @ValueSource(strings = {"meanflow", "shortcut"})
    void oneStepSamplesOfATrainedModelApproachTheData(String objective) {
        float[][] data = TrainerTest.blobs(2000);
        Path out = dir.resolve(objective);
        try (Trainer t = Trainer.builder().data(DataSets.of(data)).objective(objective).mlp(64, 2).batch(256).steps(1500)
                .lr(3e-3f).threads(1).seed(3).out(out).build()) {
            assertTrue(t.modelDescription().contains(objective), t.modelDescription());
            t.run(ProgressListener.NONE);
        }
        float[][] ref = java.util.Arrays.copyOf(data, 500);
        try (Flow f = Flow.load(out.resolve("model.safetensors"))) {
            assertEquals(objective, f.objective());
            Samples one = f.sampleWithStats(SampleRequest.of(500).steps(1).seed(9));
            assertEquals(1, one.nfe());
            Samples again = f.sampleWithStats(SampleRequest.of(500).steps(1).seed(9));
            double e1 = energyToData(one.rows(), ref);
            double e4 = energyToData(f.sample(SampleRequest.of(500).steps(4).seed(9)), ref);
            float[][] z = new float[500][2];
            java.util.Random r = new java.util.Random(9);
            for (float[] row : z) { row[0] = (float) r.nextGaussian(); row[1] = (float) r.nextGaussian(); }
            double e0 = energyToData(z, ref);
            assertTrue(e1 < 0.3 * e0, objective + ": 1-step energy distance " + e1 + " vs noise " + e0);
            assertTrue(e4 < 0.3 * e0, objective + ": 4-step energy distance " + e4 + " vs noise " + e0);
            assertEquals(one.rows()[0][0], again.rows()[0][0], "same request, same samples");
        }
    }

    @Test
    void fewStepModelsRefuseWhatTheyCannotDoInOneLine() {
        float[][] data = TrainerTest.blobs(300);
        Path mf = dir.resolve("mf"), sc = dir.resolve("sc");
        for (var e : java.util.Map.of("meanflow", mf, "shortcut", sc).entrySet())
            try (Trainer t = TrainerTest.small(DataSets.of(data)).objective(e.getKey()).steps(3).out(e.getValue()).build()) {
                t.run(ProgressListener.NONE);
            }
        try (Flow f = Flow.load(mf.resolve("model.safetensors"))) {
            UserError nll = assertThrows(UserError.class, () -> f.logLikelihood(new float[][] {{0f, 0f}}));
            assertTrue(nll.getMessage().contains("is a meanflow model"), nll.getMessage());
            UserError dopri = assertThrows(UserError.class, () -> f.sample(SampleRequest.of(4).solver("dopri5")));
            assertTrue(dopri.getMessage().contains("not solver dopri5"), dopri.getMessage());
            assertThrows(UserError.class, () -> f.trajectory(SampleRequest.of(4).steps(2), 0, 1));
            assertEquals(4, f.sample(SampleRequest.of(4).steps(3)).length, "meanflow takes any number of steps");
        }
        try (Flow f = Flow.load(sc.resolve("model.safetensors"))) {
            assertEquals("shortcut", f.objective());
            UserError three = assertThrows(UserError.class, () -> f.sample(SampleRequest.of(4).steps(3)));
            assertTrue(three.getMessage().contains("powers of two"), three.getMessage());
            assertEquals(4, f.sample(SampleRequest.of(4).steps(8)).length);
        }
        // A resume must keep the objective.
        InvalidParameterException resume = assertThrows(InvalidParameterException.class,
                () -> TrainerTest.small(DataSets.of(data)).objective("shortcut").timeEmbedding("concat").steps(6).out(mf).resume(true).build());
        assertEquals("objective", resume.parameter());
    }

    @Test
    void badObjectivesAreRefusedNamingTheParameter() {
        float[][] data = TrainerTest.blobs(100);
        InvalidParameterException unknown = assertThrows(InvalidParameterException.class,
                () -> TrainerTest.small(DataSets.of(data)).objective("consistency").build());
        assertEquals("objective", unknown.parameter());
        assertTrue(unknown.getMessage().contains("cfm, meanflow or shortcut"), unknown.getMessage());
        InvalidParameterException vp = assertThrows(InvalidParameterException.class,
                () -> TrainerTest.small(DataSets.of(data)).objective("meanflow").path("vp").build());
        assertEquals("objective", vp.parameter());
    }

    @Test
    void aCfmCheckpointSaysCfm() {
        try (Trainer t = TrainerTest.small(DataSets.of(TrainerTest.blobs(100))).steps(2).out(dir.resolve("cfm")).build()) {
            t.run(ProgressListener.NONE);
        }
        try (Flow f = Flow.load(dir.resolve("cfm").resolve("model.safetensors"))) {
            assertEquals("cfm", f.objective());
            assertEquals(1, f.logLikelihood(new float[][] {{0f, 0f}}).length);
        }
    }
}
