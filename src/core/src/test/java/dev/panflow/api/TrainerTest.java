package dev.panflow.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.InvalidParameterException;
import dev.panflow.train.LrSchedule;
import dev.panflow.train.TimeSampling;
import dev.panflow.train.TrainConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trainer as a user sees it: data from arrays and memory, defaults, resume, stop, progress, bad options. */
class TrainerTest {
    @TempDir
    Path dir;

    /** A small run everyone here varies: MLP 32×2, batch 128, one thread. */
    static Trainer.Builder small(TrainingData data) {
        return Trainer.builder().data(data).mlp(32, 2).batch(128).steps(40).threads(1).seed(5);
    }

    static float[][] blobs(int n) {
        Random r = new Random(1);
        float[][] rows = new float[n][2];
        for (float[] row : rows) {
            int k = r.nextInt(2);
            row[0] = (float) (r.nextGaussian() * 0.1 + (k == 0 ? -1 : 1));
            row[1] = (float) (r.nextGaussian() * 0.1);
        }
        return rows;
    }

    static float[][] samples(Trainer t) {
        return t.sampleWithStats(SampleRequest.of(200).steps(20).seed(2)).rows();
    }

    @Test
    void arraysAndMemorySegmentsTrainAlike() {
        float[][] rows = blobs(1000);
        float[][] fromArray;
        try (Trainer t = small(DataSets.of(rows)).build()) {
            assertEquals(2, t.dim());
            assertNull(t.checkpoint());
            TrainResult r = t.run(ProgressListener.NONE);
            assertEquals(40, r.step());
            assertNull(r.checkpoint()); // no out folder, no file
            assertTrue(Double.isFinite(r.finalLoss()) && Double.isFinite(r.smoothedLoss()));
            fromArray = samples(t);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocate(4L * rows.length * 2);
            for (int i = 0; i < rows.length; i++) MemorySegment.copy(rows[i], 0, seg, ValueLayout.JAVA_FLOAT, 8L * i, 2);
            try (Trainer t = small(DataSets.of(seg, rows.length, 2)).build()) {
                t.run(ProgressListener.NONE);
                assertArrayEquals(fromArray, samples(t)); // the same rows, the same run
            }
        }
        double meanAbsX = 0;
        for (float[] s : fromArray) meanAbsX += Math.abs(s[0]) / fromArray.length;
        assertTrue(meanAbsX > 0.5, "samples did not move towards the blobs at x = ±1: mean |x| " + meanAbsX);
    }

    @Test
    void defaultsAreTheCommandLinesDefaults() {
        // panflow train's defaults (src/cli/.../TrainCommand.java); the config is what a checkpoint records
        TrainConfig mlp = Trainer.builder().config("checkerboard");
        assertEquals(new TrainConfig("checkerboard", "ot", 256, 3, "sinusoidal", 16, 1024, 3000, 8e-3f, LrSchedule.COSINE, 100, 0f,
                0.999f, 0f, 0, 1000, TimeSampling.LOGIT_NORMAL, 1f), mlp);
        TrainConfig unet = Trainer.builder().unet(32, 64, 64).config("fashion-mnist"); // --model unet: batch 64, lr 2e-3, location 0
        assertEquals(64, unet.batch());
        assertEquals(2e-3f, unet.lr());
        assertEquals(0f, unet.timeLocation());
        try (Trainer t = Trainer.builder().data(DataSets.builtIn("checkerboard")).build()) {
            assertEquals("MLP 256×3", t.modelDescription());
            assertEquals("independent", t.couplingName());
            assertEquals(Runtime.getRuntime().availableProcessors(), t.threads());
            assertEquals("jvm", t.where());
            assertEquals(-1, t.resumedAt());
            assertEquals(1, t.ranks());
        }
    }

    @Test
    void resumeIsBitExact() throws Exception {
        Path straight = dir.resolve("straight"), resumed = dir.resolve("resumed");
        Files.createDirectories(resumed);
        UnaryOperator<Trainer.Builder> run = b -> b.steps(60).checkpointEvery(30).ema(0.9f).coupling("ot");
        List<Long> saved = new ArrayList<>();
        double[] smoothedStraight = new double[61];
        try (Trainer t = run.apply(small(DataSets.builtIn("checkerboard"))).out(straight).build()) {
            assertThrows(IllegalStateException.class, () -> t.continueSmoothedLoss(1.0), "a new run has no smoothed loss to continue");
            t.run(new ProgressListener() {
                @Override
                public void onStep(long step, long total, double loss, double smoothed) { smoothedStraight[(int) step] = smoothed; }

                @Override
                public void onCheckpoint(long step, Path file) {
                    saved.add(step);
                    if (step == 30) copy(file, resumed.resolve("model.safetensors")); // as if the run had died here
                }
            });
        }
        assertEquals(List.of(30L, 60L), saved);
        List<Long> heard = new ArrayList<>();
        try (Trainer t = run.apply(small(DataSets.builtIn("checkerboard"))).out(resumed).resume(true).build()) {
            assertEquals(30, t.resumedAt());
            t.continueSmoothedLoss(smoothedStraight[30]); // as the CLI does from metrics.jsonl
            TrainResult r = t.run(new ProgressListener() {
                @Override
                public void onStep(long step, long total, double loss, double smoothed) {
                    heard.add(step);
                    assertEquals(smoothedStraight[(int) step], smoothed, "the smoothed loss at step " + step); // continued, not restarted
                }
            });
            assertEquals(60, r.step());
            assertFalse(r.stopped());
        }
        assertEquals(31L, heard.get(0));
        assertEquals(30, heard.size());
        assertArrayEquals(Files.readAllBytes(straight.resolve("model.safetensors")), Files.readAllBytes(resumed.resolve("model.safetensors")));
    }

    static void copy(Path from, Path to) {
        try {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void listenerHearsEveryStepInOrder() {
        List<long[]> heard = new ArrayList<>();
        try (Trainer t = small(DataSets.builtIn("moons")).build()) {
            TrainResult r = t.run(new ProgressListener() {
                @Override
                public void onStep(long step, long total, double loss, double smoothed) {
                    heard.add(new long[] {step, total});
                    assertTrue(Double.isFinite(loss) && Double.isFinite(smoothed));
                }
            });
            assertEquals(40, heard.size());
            for (int i = 0; i < 40; i++) assertArrayEquals(new long[] {i + 1, 40}, heard.get(i));
            assertEquals(40, t.step());
            assertTrue(r.stepsPerSecond() > 0);
        }
    }

    @Test
    void requestStopFromAnotherThreadStopsAndSaves() throws Exception {
        Path out = dir.resolve("stopped");
        CountDownLatch tenth = new CountDownLatch(1);
        try (Trainer t = small(DataSets.builtIn("checkerboard")).steps(1_000_000).checkpointEvery(0).out(out).build()) {
            Thread stopper = new Thread(() -> {
                try {
                    tenth.await();
                } catch (InterruptedException e) {
                    return;
                }
                t.requestStop();
            });
            stopper.start();
            TrainResult r = t.run(new ProgressListener() {
                @Override
                public void onStep(long step, long total, double loss, double smoothed) {
                    if (step == 10) tenth.countDown();
                }
            });
            stopper.join();
            assertTrue(r.stopped());
            assertTrue(r.step() >= 10 && r.step() < 1_000_000, "stopped at " + r.step());
            assertEquals(out.resolve("model.safetensors"), r.checkpoint());
            try (Flow f = Flow.load(r.checkpoint(), LoadOptions.defaults().threads(1))) {
                assertEquals(r.step(), f.info().step());
            }
        }
    }

    @Test
    void badOptionsNameTheirParameter() {
        refused("batch", b -> b.batch(0));
        refused("lr", b -> b.lr(-1));
        refused("steps", b -> b.steps(0));
        refused("threads", b -> b.threads(0));
        refused("path", b -> b.path("straight"));
        refused("sinkhornReg", b -> b.sinkhornReg(0.01));
        refused("conditional", b -> b.conditional(true));
        refused("coupling", b -> b.coupling("greedy"));
        refused("timeEmbedding", b -> b.timeEmbedding("fourier"));
        refused("timeSampling", b -> b.timeSampling("beta"));
        refused("lrSchedule", b -> b.lrSchedule("step"));
        refused("backend", b -> b.backend("tpu"));
        refused("emaDecay", b -> b.ema(1));
        refused("resume", b -> b.resume(true).out(dir.resolve("empty")));
        refused("data", b -> b.data(null));
        refused("dropout", b -> b.dropout(0.1f));                 // the MLP has no dropout
        refused("dropout", b -> b.dropout(1f));
        refused("dropout", b -> b.unet(8).dropout(-0.1f));
        refused("dropout", b -> b.unet(8).dropout(Float.NaN));
        assertEquals("channels", assertThrows(InvalidParameterException.class, () -> Trainer.builder().unet()).parameter());
    }

    private void refused(String parameter, UnaryOperator<Trainer.Builder> bad) {
        InvalidParameterException e = assertThrows(InvalidParameterException.class,
                () -> bad.apply(small(DataSets.builtIn("checkerboard"))).build().close());
        assertEquals(parameter, e.parameter(), e.getMessage());
    }
}
