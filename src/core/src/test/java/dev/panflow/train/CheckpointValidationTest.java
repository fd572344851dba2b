package dev.panflow.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import dev.panflow.data.Datasets;
import dev.panflow.io.Safetensors;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints whose metadata lies about the model are refused before the model is allocated. */
class CheckpointValidationTest {
    @TempDir Path dir;

    /** A real checkpoint rewritten with one metadata entry changed. */
    Path tampered(String key, String value) {
        TrainConfig cfg = CfmTrainerTest.small("checkerboard", "ot", 2, 1e-3f);
        Path good = dir.resolve("good.safetensors"), bad = dir.resolve(key + ".safetensors");
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(1);
             CfmTrainer tr = new CfmTrainer(cfg, Datasets.open("checkerboard", arena), Paths.byName("ot"), pool)) {
            tr.trainStep();
            Checkpoint.save(tr, good);
            var f = Safetensors.read(good, arena);
            Map<String, String> meta = new LinkedHashMap<>(f.metadata());
            meta.put(key, value);
            Map<String, Tensor> t = new LinkedHashMap<>(f.tensors());
            Safetensors.write(bad, t, meta);
        }
        return bad;
    }

    String modelError(Path p) {
        try (Arena a = Arena.ofConfined()) {
            return assertThrows(UserError.class, () -> Checkpoint.readModel(p, a, true)).getMessage();
        }
    }

    dev.panflow.InvalidParameterException parameterError(Path p) {
        try (Arena a = Arena.ofConfined()) {
            return assertThrows(dev.panflow.InvalidParameterException.class, () -> Checkpoint.readModel(p, a, true));
        }
    }

    @Test
    void lyingSizesAreRefused() {
        String m = modelError(tampered("hidden", "65536"));
        assertTrue(m.contains("weights hold") && m.contains("hidden 65536"), m);
        m = modelError(tampered("dim", "-3"));
        assertTrue(m.contains("'dim' is -3"), m);
        m = modelError(tampered("step", "-1"));
        assertTrue(m.contains("'step' is negative"), m);
        m = modelError(tampered("layers", "1000"));
        assertTrue(m.contains("layers must be in"), m);
        assertEquals("layers", parameterError(tampered("layers", "1000")).parameter());
        m = modelError(tampered("lr", "NaN"));
        assertTrue(m.contains("lr must be in"), m);
        assertEquals("lr", parameterError(tampered("lr", "NaN")).parameter());
    }
}
