package dev.panflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.backend.Backends;
import dev.panflow.coupling.Coupling;
import dev.panflow.nn.MlpConfig;
import dev.panflow.nn.UNetConfig;
import dev.panflow.ode.Divergence;
import dev.panflow.ode.SolverFailure;
import dev.panflow.train.LrSchedule;
import dev.panflow.train.ModelSpec;
import dev.panflow.train.TimeSampling;
import dev.panflow.train.TrainConfig;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad values are refused in the library's own words: the Java name of the parameter, never a CLI flag. */
class InvalidParameterExceptionTest {
    static InvalidParameterException refused(String parameter, String message, Executable call) {
        InvalidParameterException e = assertThrows(InvalidParameterException.class, call);
        assertEquals(parameter, e.parameter(), e.getMessage());
        assertEquals(message, e.getMessage());
        assertFalse(e.getMessage().contains("--"), e.getMessage());
        return e;
    }

    static TrainConfig train(int batch, float lr, String lrSchedule, float emaDecay, float maxGradNorm) {
        return new TrainConfig("checkerboard", "ot", 8, 1, "concat", 1, batch, 10, lr, LrSchedule.byName(lrSchedule), 0, 0f, emaDecay, maxGradNorm,
                0, 0, TimeSampling.UNIFORM, 0f);
    }

    @Test
    void representativeBadValuesNameTheirParameter() {
        refused("batch", "batch must be in [1, 4194304], got 0", () -> train(0, 1e-3f, "cosine", 0.9f, 0f));
        refused("lr", "lr must be in (0, 10), got NaN", () -> train(8, Float.NaN, "cosine", 0.9f, 0f));
        refused("lrSchedule", "unknown lrSchedule 'step'; choose constant or cosine", () -> train(8, 1e-3f, "step", 0.9f, 0f));
        refused("maxGradNorm", "maxGradNorm must be ≥ 0 (0 = off), got -1.0", () -> train(8, 1e-3f, "cosine", 0.9f, -1f));
        refused("hidden", "hidden must be in [1, 65536], got 0", () -> new MlpConfig(2, 0, 1, "concat", 1));
        refused("timeEmbedding", "unknown timeEmbedding 'fourier'; choose sinusoidal or concat",
                () -> new MlpConfig(2, 8, 1, "fourier", 1));
        refused("labelDropout", "labelDropout must be in [0, 1), got 1.0", () -> new ModelSpec("unet", new int[] {8}, 1, true, 1f));
        refused("model", "unknown model 'convnet'; choose mlp or unet", () -> new ModelSpec("convnet", new int[0], 0, false, 0f));
        refused("dropout", "dropout must be in [0, 1), got 1.0", () -> new ModelSpec("unet", new int[] {8}, 1, false, 0f, 1f, 0));
        refused("groups", "groups must be ≥ 1, got 0", () -> new UNetConfig(1, 8, 8, new int[] {8}, 0, 4, 0));
        refused("probes", "probes must be in [1, 1024], got 0", () -> Divergence.parse("hutchinson", "gaussian", 0, 1));
        refused("divergence", "unknown divergence 'magic'; choose exact or hutchinson", () -> Divergence.parse("magic", "gaussian", 1, 1));
        refused("sinkhornReg", "sinkhornReg must be a positive number (relative to the largest squared distance), got 0.0",
                () -> Coupling.byName("sinkhorn", 8, 2, 0));
        refused("coupling", "unknown coupling 'x'; choose independent, ot or sinkhorn", () -> Coupling.byName("x", 8, 2));
        InvalidParameterException e = assertThrows(InvalidParameterException.class, () -> Backends.byName("tpu"));
        assertEquals("backend", e.parameter());
        assertTrue(e.getMessage().startsWith("unknown backend 'tpu'; choose one of jvm, scalar"), e.getMessage());
    }

    @Test
    void aMessageListsEveryParameterItNamesMainOneFirst() {
        var e = refused("batch", "coupling ot solves an exact batch×batch assignment; use batch (or couplingBatch) ≤ 8192 (got 9000)",
                () -> Coupling.byName("ot", 9000, 2));
        assertEquals(List.of("batch", "couplingBatch", "coupling"), e.parameters());
        e = refused("channels", "channels 6 is not divisible by groups 4", () -> new UNetConfig(1, 8, 8, new int[] {6}, 4, 4, 0));
        assertEquals(List.of("channels", "groups"), e.parameters());
        assertEquals(List.of("atol", "rtol"), new SolverFailure("step size underflow").parameters());
    }

    @Test
    void isBadInputAsJavaKnowsIt() {
        InvalidParameterException e = InvalidParameterException.range("steps", 1, 10, 0);
        assertInstanceOf(IllegalArgumentException.class, e);
        assertInstanceOf(UserError.class, e);
        assertEquals("steps must be in [1, 10], got 0", e.getMessage());
        assertEquals("unknown path 'zz'; choose ot or vp", InvalidParameterException.unknown("path", "zz", "ot or vp").getMessage());
        assertEquals(List.of(), new UserError("data.npy: truncated").parameters()); // a bad file names no parameter
        assertThrows(IllegalArgumentException.class, () -> new InvalidParameterException("no name", ""));
    }
}
