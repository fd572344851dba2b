package dev.panflow.cli;

import static dev.panflow.cli.CliTest.assertUserError;
import static dev.panflow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.io.Safetensors;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train --objective, sample --steps / --time-schedule, nll's refusal, and experiment fewstep, as a user types them. */
class FewStepCliTest {
    static Path trainTiny(Path dir, String objective) {
        Path out = dir.resolve("run-" + objective);
        CliTest.Run t = run("train", "--data", "checkerboard", "--objective", objective, "--hidden", "16", "--layers", "2", "--batch", "64",
                "--steps", "20", "--samples", "200", "--threads", "1", "--out", out.toString());
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains(objective + " one step, 1 NFE"), t.out());
        assertTrue(t.err().contains("objective " + objective), t.err());
        return out.resolve("model.safetensors");
    }

    @Tag("slow")
    @Test
    void fewStepModelsTrainSampleAndRefuseNll(@TempDir Path dir) throws Exception {
        Path mf = trainTiny(dir, "meanflow"), sc = trainTiny(dir, "shortcut");
        try (Arena a = Arena.ofConfined()) {
            var meta = Safetensors.read(mf, a).metadata();
            assertEquals("meanflow", meta.get("objective"));
            assertEquals("concat", meta.get("time_embedding"), "meanflow's default time embedding");
            assertEquals("shortcut", Safetensors.read(sc, a).metadata().get("objective"));
        }
        CliTest.Run s = run("sample", "--model", mf.toString(), "--n", "100", "--steps", "2", "--out", dir.resolve("s.npy").toString());
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("NFE 2"), s.out());
        assertEquals(0, run("sample", "--model", sc.toString(), "--n", "100", "--steps", "4", "--time-schedule", "shift:3",
                "--out", dir.resolve("t.npy").toString()).code());
        assertUserError(run("sample", "--model", sc.toString(), "--n", "10", "--steps", "3", "--out", dir.resolve("u.npy").toString()), "powers of two");
        assertUserError(run("nll", "--model", mf.toString(), "--data", "checkerboard", "--n", "10"), "is a meanflow model");
        assertUserError(run("train", "--objective", "meanflow", "--path", "vp", "--steps", "1", "--out", dir.resolve("v").toString()), "--objective");
        assertUserError(run("train", "--objective", "nope", "--steps", "1", "--out", dir.resolve("w").toString()), "--objective");
        assertUserError(run("sample", "--model", mf.toString(), "--n", "10", "--time-schedule", "shift:x", "--out", dir.resolve("x.npy").toString()),
                "--time-schedule");
    }

    @Tag("slow")
    @Test
    void timeScheduleAppliesToEverySolverOfACfmModel(@TempDir Path dir) {
        Path model = NllCliTest.trainTiny(dir, "ot");
        for (String solver : new String[] {"euler", "rk4", "dopri5", "dopri5-point"}) {
            CliTest.Run r = run("sample", "--model", model.toString(), "--n", "50", "--solver", solver, "--steps", "4", "--time-schedule", "logit", "--atol", "1e-3", "--rtol", "1e-3",
                    "--out", dir.resolve(solver + ".npy").toString());
            assertEquals(0, r.code(), solver + ": " + r.err());
        }
        assertUserError(run("nll", "--model", model.toString(), "--data", "checkerboard", "--n", "10", "--time-schedule", "shift:3"), "--time-schedule");
    }

    @Test
    void fewstepExperimentWritesTablesAndFigure(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("exp");
        CliTest.Run r = run("experiment", "fewstep", "--steps", "5", "--hidden", "8", "--layers", "1", "--batch", "32", "--pairs", "64",
                "--eval", "20", "--schedules", "uniform,shift:3", "--threads", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        String md = Files.readString(out.resolve("fewstep.md"));
        for (String row : new String[] {"| cfm | euler | 1 |", "| cfm + reflow | euler | 1 |", "| meanflow | euler | 4 |", "| shortcut | euler | 2 |",
                "| cfm | dopri5 (1e-5) |", "noise floor", "| shift:3 | euler | 8 |"})
            assertTrue(md.contains(row), row + " in " + md);
        assertTrue(Files.size(out.resolve("fewstep.png")) > 1000);
        assertUserError(run("experiment", "fewstep", "--schedules", "nope", "--out", out.toString()), "unknown --time-schedule");
    }

    @Test
    void imageFewstepExperimentRefusesBadSettingsFirst(@TempDir Path dir) {
        String out = dir.resolve("img").toString();
        assertUserError(run("experiment", "fewstep", "--data", "fashion-mnist", "--backend", "scalar", "--out", out), "--backend");
        assertUserError(run("experiment", "fewstep", "--data", "fashion-mnist", "--eval", "1", "--out", out), "--eval");
        assertUserError(run("experiment", "fewstep", "--data", "fashion-mnist", "--time-budget", "soon", "--out", out), "--time-budget");
        assertUserError(run("experiment", "fewstep", "--data", "fashion-mnist", "--features", dir.resolve("none.safetensors").toString(),
                "--out", out), "no feature network");
    }
}
