package dev.panflow.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.io.Safetensors;
import dev.panflow.io.SafetensorsFile;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sampling checkpoint: the EMA weights only, sampling and scoring exactly as the full file, never resumed. */
@org.junit.jupiter.api.Tag("slow") // two tiny trainings, ~4 s
class SamplingCheckpointTest {
    @TempDir
    Path dir;

    @Test
    void samplesAndScoresAsTheFullCheckpointAtAQuarterOfItsSize() throws Exception {
        Path full = FlowTest.train(dir.resolve("cb"));
        Path slim = dir.resolve("slim.safetensors");
        SamplingCheckpoint.write(full, slim);
        long a = Files.size(full), b = Files.size(slim);
        assertTrue(b < a / 3.5 && b > a / 4.5, "sizes " + a + " and " + b);
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = Safetensors.read(slim, arena);
            assertTrue(f.tensors().keySet().stream().allMatch(k -> k.startsWith("ema.net.")), f.tensors().keySet().toString());
            assertEquals("true", f.metadata().get("sampling_only"));
            assertFalse(f.metadata().containsKey("rng"));
        }
        SampleRequest req = SampleRequest.of(200).solver("rk4").steps(8).seed(5);
        LoadOptions opts = LoadOptions.defaults().threads(1).maxConcurrentCalls(1);
        float[][] want, got;
        double[] llWant, llGot;
        try (Flow f = Flow.load(full, opts)) {
            want = f.sample(req);
            llWant = f.logLikelihood(want, LikelihoodRequest.defaults());
        }
        try (Flow f = Flow.load(slim, opts)) {
            assertTrue(f.info().ema());
            assertEquals(100, f.info().step());
            got = f.sample(req);
            llGot = f.logLikelihood(want, LikelihoodRequest.defaults());
        }
        for (int i = 0; i < want.length; i++) assertArrayEquals(want[i], got[i], "row " + i);
        assertArrayEquals(llWant, llGot);
    }

    @Test
    void refusesTheRawWeightsAndResuming() {
        Path full = FlowTest.train(dir.resolve("cb"));
        Path slim = dir.resolve("cb2").resolve("model.safetensors");
        SamplingCheckpoint.write(full, slim);
        InvalidParameterException e = assertThrows(InvalidParameterException.class,
                () -> Flow.load(slim, LoadOptions.defaults().ema(false).threads(1)));
        assertEquals("ema", e.parameter());
        UserError r = assertThrows(UserError.class, () -> Trainer.builder().data(DataSets.builtIn("checkerboard")).mlp(32, 2)
                .steps(100).batch(256).threads(1).seed(3).out(slim.getParent()).resume(true).build().close());
        assertTrue(r.getMessage().contains("cannot be resumed"), r.getMessage());
        assertThrows(UserError.class, () -> SamplingCheckpoint.write(dir.resolve("missing.safetensors"), dir.resolve("x")));
    }
}
