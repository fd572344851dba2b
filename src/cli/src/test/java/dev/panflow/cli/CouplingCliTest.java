package dev.panflow.cli;

import static dev.panflow.cli.CliTest.assertUserError;
import static dev.panflow.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.panflow.io.Safetensors;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CouplingCliTest {
    static String[] train(Path out, String coupling, String steps, boolean resume) {
        var args = new java.util.ArrayList<>(java.util.List.of("train", "--data", "8gaussians", "--coupling", coupling, "--hidden", "16",
                "--layers", "2", "--batch", "64", "--steps", steps, "--samples", "0", "--threads", "1", "--out", out.toString()));
        if (resume) args.add("--resume");
        return args.toArray(String[]::new);
    }

    @Test
    void otCouplingIsRecordedAndResumesOnlyWithTheSameCoupling(@TempDir Path dir) {
        Path out = dir.resolve("ot");
        CliTest.Run t = run(train(out, "ot", "20", false));
        assertEquals(0, t.code(), t.err());
        try (Arena a = Arena.ofConfined()) {
            assertEquals("ot", Safetensors.read(out.resolve("model.safetensors"), a).metadata().get("coupling"));
        }
        assertUserError(run(train(out, "independent", "30", true)), "--coupling ot");
        assertEquals(0, run(train(out, "ot", "30", true)).code());
        Path ind = dir.resolve("ind");
        assertEquals(0, run(train(ind, "independent", "10", false)).code());
        try (Arena a = Arena.ofConfined()) {
            assertEquals("independent", Safetensors.read(ind.resolve("model.safetensors"), a).metadata().get("coupling"));
        }
        assertUserError(run(train(dir.resolve("x"), "sinkhorn?", "10", false)), "unknown --coupling");
    }

    @Test
    void sinkhornCouplingAndItsRegAreRecordedAndResumeOnlyWithTheSame(@TempDir Path dir) {
        Path out = dir.resolve("sk");
        var args = new java.util.ArrayList<>(java.util.List.of(train(out, "sinkhorn", "12", false)));
        args.addAll(java.util.List.of("--sinkhorn-reg", "0.1"));
        CliTest.Run t = run(args.toArray(String[]::new));
        assertEquals(0, t.code(), t.err());
        try (Arena a = Arena.ofConfined()) {
            var meta = Safetensors.read(out.resolve("model.safetensors"), a).metadata();
            assertEquals("sinkhorn", meta.get("coupling"));
            assertEquals("0.1", meta.get("sinkhorn_reg"));
        }
        assertUserError(run(train(out, "ot", "20", true)), "--coupling sinkhorn");
        assertUserError(run(train(out, "sinkhorn", "20", true)), "--sinkhorn-reg 0.1"); // the default 0.05 is another run
        args = new java.util.ArrayList<>(java.util.List.of(train(out, "sinkhorn", "20", true)));
        args.addAll(java.util.List.of("--sinkhorn-reg", "0.1"));
        assertEquals(0, run(args.toArray(String[]::new)).code());
        args = new java.util.ArrayList<>(java.util.List.of(train(dir.resolve("y"), "sinkhorn", "5", false)));
        args.addAll(java.util.List.of("--sinkhorn-reg", "0"));
        assertUserError(run(args.toArray(String[]::new)), "--sinkhorn-reg must be a positive number");
        args = new java.util.ArrayList<>(java.util.List.of(train(dir.resolve("z"), "ot", "5", false)));
        args.addAll(java.util.List.of("--sinkhorn-reg", "0.01"));
        assertUserError(run(args.toArray(String[]::new)), "--sinkhorn-reg applies to --coupling sinkhorn only");
    }

    @Test
    void couplingBatchIsRecordedMustMatchOnResumeAndIsChecked(@TempDir Path dir) {
        Path out = dir.resolve("m");
        String[] withM = CliTest.cat(train(out, "sinkhorn", "7", false), "--coupling-batch", "192");
        var r = run(withM);
        assertEquals(0, r.code(), r.err());
        org.junit.jupiter.api.Assertions.assertTrue(r.err().contains("plan over 192 pairs, recomputed every 3 steps"), r.err());
        try (Arena a = Arena.ofConfined()) {
            assertEquals("192", Safetensors.read(out.resolve("model.safetensors"), a).metadata().get("coupling_batch"));
        }
        assertUserError(run(train(out, "sinkhorn", "9", true)), "--coupling-batch");
        assertEquals(0, run(CliTest.cat(train(out, "sinkhorn", "9", true), "--coupling-batch", "192")).code());
        assertUserError(run(CliTest.cat(train(dir.resolve("s"), "ot", "2", false), "--coupling-batch", "32")), "--coupling-batch must be ≥ --batch (64)");
        assertUserError(run(CliTest.cat(train(dir.resolve("i"), "independent", "2", false), "--coupling-batch", "128")),
                "--coupling-batch applies to --coupling ot or sinkhorn only");
        assertUserError(run(CliTest.cat(train(dir.resolve("w"), "ot", "2", false), "--class-weight", "1")),
                "--class-weight applies to a --conditional model only");
        assertUserError(run(CliTest.cat(train(dir.resolve("w"), "ot", "2", false), "--class-weight", "heavy")), "--class-weight: 'heavy' is not a number");
    }
}
