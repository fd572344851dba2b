package dev.panflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.io.Json;
import dev.panflow.io.Safetensors;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs a person can follow: time budgets, --quiet, the metrics log and the pictures. */
class RunsCliTest {
    static final String[] SMALL = {"--hidden", "32", "--layers", "2", "--batch", "128", "--threads", "1", "--sample-steps", "5"};

    static CliTest.Run train(Path out, String... more) {
        String[] args = new String[3 + SMALL.length + more.length];
        args[0] = "train";
        args[1] = "--out";
        args[2] = out.toString();
        System.arraycopy(SMALL, 0, args, 3, SMALL.length);
        System.arraycopy(more, 0, args, 3 + SMALL.length, more.length);
        return CliTest.run(args);
    }

    static long trainedSteps(String out) {
        Matcher m = Pattern.compile("trained (\\d+) steps").matcher(out);
        assertTrue(m.find(), out);
        return Long.parseLong(m.group(1));
    }

    static Map<String, String> meta(Path file) {
        try (Arena a = Arena.ofConfined()) {
            return Safetensors.read(file, a).metadata();
        }
    }

    @Test
    void aTimeBudgetStopsWithACheckpointAndResumeContinuesItsSchedule(@TempDir Path dir) {
        Path out = dir.resolve("run");
        CliTest.Run r = train(out, "--time-budget", "2s", "--steps", "100000000", "--samples", "0", "--checkpoint-every", "0");
        assertEquals(0, r.code(), r.err());
        long n = trainedSteps(r.out());
        assertTrue(n > 0 && n < 100_000_000, r.out());
        assertTrue(r.err().contains("time budget 2s: ~"), r.err());
        assertTrue(r.err().contains("time budget 2s reached at step " + n), r.err()); // it runs to the budget, not to an estimate
        Map<String, String> m = meta(out.resolve("model.safetensors"));
        assertEquals(Long.toString(n), m.get("step"));
        long horizon = Long.parseLong(m.get("schedule_steps")); // the last estimate: n may pass it by a little
        CliTest.Run again = train(out, "--time-budget", "2s", "--steps", "100000000", "--samples", "0", "--checkpoint-every", "0", "--resume");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("resumed") && again.err().contains("continuing the schedule of " + horizon + " steps"), again.err());
        long n2 = trainedSteps(again.out());
        assertTrue(n2 >= n && n2 <= Math.max(n, horizon), n + " then " + n2 + " of " + horizon);
        assertEquals(Long.toString(horizon), meta(out.resolve("model.safetensors")).get("schedule_steps"));
    }

    @Test
    void badBudgetsAndIntervalsAreUserErrors(@TempDir Path dir) {
        CliTest.assertUserError(train(dir.resolve("a"), "--time-budget", "15 minutes"), "--time-budget must be a duration");
        CliTest.assertUserError(train(dir.resolve("b"), "--time-budget", "0s"), "--time-budget must be positive");
        CliTest.assertUserError(train(dir.resolve("c"), "--log-every", "0"), "--log-every must be in");
    }

    @Test
    void quietShowsNoBar(@TempDir Path dir) {
        CliTest.Run r = train(dir.resolve("q"), "--steps", "30", "--samples", "0", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("train ["), r.err());
        assertEquals(30, trainedSteps(r.out()));
        CliTest.Run loud = train(dir.resolve("l"), "--steps", "30", "--samples", "0");
        assertTrue(loud.err().contains("train [########################] 30/30 100% | loss "), loud.err());
    }

    @Test
    @SuppressWarnings("unchecked")
    void runJsonAndMetricsJsonlParseBack(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("m");
        CliTest.Run r = train(out, "--steps", "35", "--samples", "0", "--metrics-every", "10", "--seed", "3");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> run = (Map<String, Object>) Json.parse(Files.readString(out.resolve("run.json")));
        assertEquals("train", run.get("command"));
        assertEquals(Main.VERSION, run.get("panflow_version"));
        assertEquals(3L, run.get("seed"));
        assertEquals(1L, run.get("threads"));
        Map<String, Object> options = (Map<String, Object>) run.get("options");
        assertEquals(32L, options.get("hidden"));
        assertEquals("checkerboard", options.get("data"));
        assertEquals(0.008, (Double) options.get("lr"), 1e-9);
        Map<String, Object> machine = (Map<String, Object>) run.get("machine");
        assertTrue(machine.get("isa") instanceof String && machine.get("jdk") instanceof String, machine.toString());
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(4, lines.size(), lines.toString()); // steps 10, 20, 30 and the last, 35
        long prev = 0;
        for (String line : lines) {
            Map<String, Object> m = (Map<String, Object>) Json.parse(line);
            long step = (Long) m.get("step");
            assertTrue(step > prev);
            prev = step;
            for (String k : new String[] {"time", "loss", "smoothed_loss", "lr", "grad_norm", "steps_per_s"})
                assertTrue(m.get(k) instanceof Number, k + " in " + line);
        }
        assertEquals(35, prev);
        // A resumed run keeps the records up to its checkpoint and appends its own.
        CliTest.Run again = train(out, "--steps", "50", "--samples", "0", "--metrics-every", "10", "--seed", "3", "--resume");
        assertEquals(0, again.code(), again.err());
        List<RunLog.Metric> all = RunLog.read(out.resolve("metrics.jsonl"));
        assertEquals(List.of(10L, 20L, 30L, 35L, 40L, 50L), all.stream().map(RunLog.Metric::step).toList());
        assertTrue(all.get(4).time() >= all.get(3).time());
    }

    @Test
    void aResumedRunContinuesTheSmoothedLossFromItsRecords(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("s");
        assertEquals(0, train(out, "--steps", "30", "--samples", "0", "--metrics-every", "10", "--seed", "3").code());
        CliTest.Run again = train(out, "--steps", "40", "--samples", "0", "--metrics-every", "1", "--seed", "3", "--resume");
        assertEquals(0, again.code(), again.err());
        List<RunLog.Metric> all = RunLog.read(out.resolve("metrics.jsonl"));
        RunLog.Metric at30 = all.get(2), at31 = all.get(3);
        assertEquals(List.of(30L, 31L), List.of(at30.step(), at31.step()));
        // s ← 0.98·s + 0.02·loss goes on from the recorded s at step 30 (6 significant digits in the file);
        // restarting it would give s = loss at step 31, a step in loss.png.
        double expected = 0.98 * at30.smoothed() + 0.02 * at31.loss();
        assertEquals(expected, at31.smoothed(), 2e-5 * Math.abs(expected), all.toString());
        assertTrue(Math.abs(at31.smoothed() - at31.loss()) > 1e-3 * Math.abs(at31.loss()), "the average restarted: " + all);
    }

    @Test
    void lossPngTrajectoryPngAndPlotOverlay(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        CliTest.Run r = train(a, "--steps", "40", "--checkpoint-every", "20", "--samples", "400");
        assertEquals(0, r.code(), r.err());
        var loss = javax.imageio.ImageIO.read(a.resolve("loss.png").toFile());
        assertEquals(960, loss.getWidth());
        var traj = javax.imageio.ImageIO.read(a.resolve("trajectory.png").toFile());
        assertTrue(traj.getWidth() > 4 * traj.getHeight(), "five panels in a row");
        assertTrue(r.out().contains("wrote " + a.resolve("trajectory.png")), r.out());
        assertEquals(0, train(b, "--steps", "30", "--samples", "0", "--lr", "0.002").code());
        Path png = dir.resolve("both.png");
        CliTest.Run p = CliTest.run("plot", a.toString(), b.resolve("metrics.jsonl").toString(), "--out", png.toString());
        assertEquals(0, p.code(), p.err());
        assertEquals(960, javax.imageio.ImageIO.read(png.toFile()).getWidth());
        CliTest.assertUserError(CliTest.run("plot", dir.resolve("nothing").toString()), "no metrics.jsonl at");
    }

    @Test
    @SuppressWarnings("unchecked")
    void evalEveryWritesProgressPicturesAndRecords(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("e");
        CliTest.Run r = train(out, "--steps", "40", "--eval-every", "20", "--samples", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(out.resolve("progress/step-000000020.png")) > 500);
        assertTrue(Files.size(out.resolve("progress/step-000000040.png")) > 500);
        long evals = 0;
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            Map<String, Object> m = (Map<String, Object>) Json.parse(line);
            if (Boolean.TRUE.equals(m.get("eval"))) {
                evals++;
                assertTrue(m.get("on_square_fraction") instanceof Double, line);
            }
        }
        assertEquals(2, evals);
        assertEquals(List.of(10L, 20L, 30L, 40L), RunLog.read(out.resolve("metrics.jsonl")).stream().map(RunLog.Metric::step).toList());
    }

    /** The bar's last line on a pipe (what the in-process runs capture), or none with --quiet. */
    static void barAndQuiet(String label, CliTest.Run loud, CliTest.Run quiet) {
        assertEquals(0, loud.code(), loud.err());
        assertEquals(0, quiet.code(), quiet.err());
        assertTrue(loud.err().contains(label + " [########################] "), loud.err());
        assertFalse(quiet.err().contains(label + " ["), quiet.err());
    }

    @Test
    void sampleShowsItsProgressAndHonoursQuiet(@TempDir Path dir) {
        Path model = NllCliTest.trainTiny(dir, "ot");
        String[] args = {"sample", "--model", model.toString(), "--n", "300", "--solver", "rk4", "--steps", "3", "--threads", "1",
                "--out", dir.resolve("s.npy").toString()};
        CliTest.Run loud = CliTest.run(concat(args, "--log-every", "5"));
        CliTest.Run quiet = CliTest.run(concat(args, "--quiet"));
        barAndQuiet("sample", loud, quiet);
        assertTrue(loud.err().contains("sample [########################] 300/300 100% | NFE 12 | "), loud.err());
        assertTrue(loud.err().contains(" points/s | eta 0:00"), loud.err());
        assertTrue(quiet.out().contains("300 samples, solver rk4, NFE 12"), quiet.out()); // results still printed
        CliTest.assertUserError(CliTest.run(concat(args, "--log-every", "0")), "--log-every must be in");
    }

    @Test
    void nllHonoursQuiet(@TempDir Path dir) {
        Path model = NllCliTest.trainTiny(dir, "ot");
        String[] args = {"nll", "--model", model.toString(), "--n", "40", "--threads", "1", "--log-every", "5"};
        barAndQuiet("nll", CliTest.run(args), CliTest.run(concat(args, "--quiet")));
    }

    @Test
    @SuppressWarnings("unchecked")
    void reflowWritesARunLogAndHonoursQuiet(@TempDir Path dir) throws Exception {
        Path model = NllCliTest.trainTiny(dir, "ot");
        Path out = dir.resolve("reflow");
        String[] args = {"reflow", "--model", model.toString(), "--pairs", "200", "--steps", "25",
                "--solver", "rk4", "--pair-steps", "3", "--eval", "0", "--threads", "1", "--seed", "4"};
        CliTest.Run loud = CliTest.run(concat(args, "--out", out.toString()));
        assertTrue(loud.err().contains("pairs [########################] 200/200 100% | NFE 12 | "), loud.err());
        barAndQuiet("reflow", loud, CliTest.run(concat(args, "--quiet", "--out", dir.resolve("reflow-q").toString())));
        Map<String, Object> run = (Map<String, Object>) Json.parse(Files.readString(out.resolve("run.json")));
        assertEquals("reflow", run.get("command"));
        assertEquals(model.toString(), run.get("teacher"));
        assertEquals(200L, run.get("pairs"));
        assertEquals(4L, run.get("seed"));
        assertEquals("pairs of checkerboard", run.get("data"));
        assertTrue(run.get("machine") instanceof Map, run.toString());
        assertEquals(List.of(10L, 20L, 25L), RunLog.read(out.resolve("metrics.jsonl")).stream().map(RunLog.Metric::step).toList());
        assertTrue(Files.size(out.resolve("loss.png")) > 1000);
    }

    @Test
    @org.junit.jupiter.api.Tag("slow") // ~5-10 s: two experiments of two paths each
    @SuppressWarnings("unchecked")
    void experimentWritesRunLogsPerPathAndHonoursQuiet(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("exp");
        String[] args = {"experiment", "paths", "--paths", "ot,vp", "--steps", "12", "--hidden", "8", "--layers", "1", "--batch", "32",
                "--test", "20", "--eval", "20", "--nfe", "4", "--tol", "1e-3", "--threads", "1", "--seed", "2"};
        CliTest.Run loud = CliTest.run(concat(args, "--out", out.toString()));
        barAndQuiet("train ot", loud, CliTest.run(concat(args, "--quiet", "--out", dir.resolve("exp-q").toString())));
        for (String label : new String[] {"nll vp", "sample vp", "sample ot rk4"})
            assertTrue(loud.err().contains(label + " [########################] "), label + ": " + loud.err());
        Map<String, Object> top = (Map<String, Object>) Json.parse(Files.readString(out.resolve("run.json")));
        assertEquals("experiment paths", top.get("command"));
        assertEquals(List.of("ot", "vp"), top.get("paths"));
        assertEquals(12L, top.get("steps_per_path"));
        for (String path : new String[] {"ot", "vp"}) {
            Map<String, Object> run = (Map<String, Object>) Json.parse(Files.readString(out.resolve(path).resolve("run.json")));
            assertEquals(path, run.get("path"));
            assertEquals(12L, run.get("steps"));
            assertEquals(List.of(10L, 12L), RunLog.read(out.resolve(path).resolve("metrics.jsonl")).stream().map(RunLog.Metric::step).toList());
        }
    }

    @Test
    @org.junit.jupiter.api.Tag("slow") // ~10 s: loads Fashion-MNIST and trains a tiny U-Net
    void theImageExperimentHonoursQuietAndWritesRunLogs(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("img");
        CliTest.Run r = CliTest.run("experiment", "paths", "--data", "fashion-mnist", "--paths", "ot", "--channels", "8,8",
                "--steps", "3", "--batch", "4", "--test", "2", "--eval", "2", "--nfe", "4", "--threads", "1", "--quiet",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        for (String label : new String[] {"train ot [", "nll ot [", "sample ot "}) assertFalse(r.err().contains(label), r.err());
        assertTrue(Files.isRegularFile(out.resolve("run.json")));
        assertTrue(Files.isRegularFile(out.resolve("ot/run.json")));
        assertEquals(List.of(3L), RunLog.read(out.resolve("ot/metrics.jsonl")).stream().map(RunLog.Metric::step).toList());
    }

    static String[] concat(String[] a, String... more) {
        String[] all = java.util.Arrays.copyOf(a, a.length + more.length);
        System.arraycopy(more, 0, all, a.length, more.length);
        return all;
    }
}
