package dev.panflow.cli;

import dev.panflow.api.ProgressListener;
import dev.panflow.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import dev.panflow.io.AtomicFiles;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A run's records in its folder: {@code metrics.jsonl}, one JSON object per logged step (every
 * {@code every} steps and the last: step, time in s since the run began, loss, smoothed loss,
 * lr, grad norm, steps/s over the interval), and whatever else the writer thread is given to do
 * (run.json, pictures). The training thread only captures numbers; every file is written by one
 * writer thread, fed through a bounded queue (when it is full, the training thread writes itself
 * rather than drop a record). A resumed run keeps the records up to its checkpoint's step, and
 * its smoothed loss goes on from the last of them ({@link #resumedSmoothedLoss()}).
 */
final class RunLog implements ProgressListener, AutoCloseable {
    /** One logged step. */
    record Metric(long step, double time, double loss, double smoothed, double lr, double gradNorm, double stepsPerSecond) {
        String json() {
            return "{\"step\":" + step + ",\"time\":" + num(time) + ",\"loss\":" + num(loss) + ",\"smoothed_loss\":" + num(smoothed)
                    + ",\"lr\":" + num(lr) + ",\"grad_norm\":" + num(gradNorm) + ",\"steps_per_s\":" + num(stepsPerSecond) + "}";
        }

        /** The record, or an IllegalArgumentException for anything else (e.g. an evaluation record). */
        static Metric of(Object json) {
            if (!(json instanceof Map<?, ?> m) || m.containsKey("eval")) throw new IllegalArgumentException("not a step record");
            return new Metric(((Number) m.get("step")).longValue(), d(m.get("time")), d(m.get("loss")), d(m.get("smoothed_loss")),
                    d(m.get("lr")), d(m.get("grad_norm")), d(m.get("steps_per_s")));
        }

        private static double d(Object o) { return o instanceof Number n ? n.doubleValue() : Double.NaN; }
    }

    /** A JSON number, or null for NaN and infinities (which JSON has not). */
    static String num(double v) {
        if (!Double.isFinite(v)) return "null";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return String.format(Locale.ROOT, "%.6g", v); // e.g. 0.812345, 8.00000e-04: valid JSON numbers
    }

    private final Path dir, metrics;
    private final int every;
    private final ThreadPoolExecutor writer;
    private final long startNanos = System.nanoTime();
    private double timeOffset;   // a resumed run's time continues the recorded one
    private double resumedSmoothed = Double.NaN;
    private long lastStep = -1, prevStep = -1;
    private double prevTime;
    private volatile Throwable failure;
    /** The records so far (writer thread only), for the pictures. */
    final List<Metric> history = new ArrayList<>();

    /** {@code resumedAt}: the step a resumed run continues from (−1: a new run, metrics.jsonl starts empty). */
    RunLog(Path dir, int every, long resumedAt) {
        this.dir = dir;
        this.metrics = dir.resolve("metrics.jsonl");
        this.every = Math.max(1, every);
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024), r -> {
            Thread t = new Thread(r, "panflow-run-log");
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.CallerRunsPolicy());
        // Read (and trim) what a resumed run wrote before its checkpoint, on this thread: the offset is needed at once.
        List<Metric> kept = new ArrayList<>();
        List<String> keptLines = new ArrayList<>();
        if (resumedAt >= 0 && Files.exists(metrics)) {
            try {
                for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
                    if (line.isBlank()) continue;
                    try {
                        Object json = Json.parse(line);
                        if (!(json instanceof Map<?, ?> rec) || !(rec.get("step") instanceof Long step) || step > resumedAt) continue;
                        keptLines.add(line);
                        if (!rec.containsKey("eval")) kept.add(Metric.of(json));
                    } catch (RuntimeException malformed) {
                        // a line cut short by a kill: dropped
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (!kept.isEmpty()) timeOffset = kept.getLast().time();
        for (Metric m : kept) if (Double.isFinite(m.smoothed())) resumedSmoothed = m.smoothed();
        prevTime = timeOffset;
        prevStep = Math.max(0, resumedAt);
        submit(() -> {
            history.addAll(kept);
            StringBuilder sb = new StringBuilder();
            for (String line : keptLines) sb.append(line).append('\n');
            Files.writeString(metrics, sb, StandardCharsets.UTF_8);
        });
    }

    /**
     * The smoothed loss of the last record kept at or before the resumed step (the checkpoint's,
     * when a record fell on it: the last step and every --metrics-every steps are recorded), or NaN
     * for a new run or one with no such record.
     */
    double resumedSmoothedLoss() { return resumedSmoothed; }

    /** Steps per metrics record for the commands that have no --metrics-every (train's default). */
    static final int DEFAULT_EVERY = 10;

    /** A new run's log in {@code dir} (created if missing), its run.json written first. */
    static RunLog start(Path dir, String command, picocli.CommandLine.Model.CommandSpec spec, Map<String, Object> facts) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new dev.panflow.UserError("cannot create output directory " + dir + ": " + e.getMessage());
        }
        RunLog log = new RunLog(dir, DEFAULT_EVERY, -1);
        log.writeLater("run.json", RunInfo.json(command, spec, facts));
        return log;
    }

    interface Task {
        void run() throws IOException;
    }

    /** Runs {@code task} on the writer thread; a failure is reported once, at {@link #close()}. */
    void submit(Task task) {
        writer.execute(() -> {
            try {
                task.run();
            } catch (Throwable e) {
                if (failure == null) failure = e;
            }
        });
    }

    @Override
    public void onStep(long step, long totalSteps, double loss, double smoothedLoss, double lr, double gradNorm) {
        if (step % every != 0 && step != totalSteps) {
            if (step > lastStep) pending(step, loss, smoothedLoss, lr, gradNorm);
            return;
        }
        log(step, loss, smoothedLoss, lr, gradNorm);
    }

    // The last step heard, kept as primitives so that finish() can log it if no record covered it.
    private long pStep = -1;
    private double pLoss, pSmoothed, pLr, pGrad;

    private void pending(long step, double loss, double smoothed, double lr, double grad) {
        pStep = step;
        pLoss = loss;
        pSmoothed = smoothed;
        pLr = lr;
        pGrad = grad;
    }

    private void log(long step, double loss, double smoothed, double lr, double grad) {
        double t = timeOffset + (System.nanoTime() - startNanos) * 1e-9;
        double rate = prevStep >= 0 && t > prevTime ? (step - prevStep) / (t - prevTime) : Double.NaN;
        prevStep = step;
        prevTime = t;
        lastStep = step;
        Metric m = new Metric(step, t, loss, smoothed, lr, grad, rate);
        submit(() -> {
            history.add(m);
            Files.writeString(metrics, m.json() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        });
    }

    /** Logs the last step heard if no record covered it (a run stopped between records), and redraws loss.png. */
    void finish() {
        if (pStep > lastStep) log(pStep, pLoss, pSmoothed, pLr, pGrad);
        drawLater();
    }

    /**
     * At each checkpoint, loss.png is redrawn on the writer thread: at most one redraw waiting at a
     * time and none within {@link #REDRAW_NANOS} of the last (frequent checkpoints must not queue
     * up pictures); the redraw at the end of the run always happens.
     */
    @Override
    public void onCheckpoint(long step, Path file) {
        if (eval != null && step % evalEvery == 0 && !evalPending.getAndSet(true)) evaluateLater(step);
        long now = System.nanoTime();
        if (lastDrawNanos != 0 && now - lastDrawNanos < REDRAW_NANOS) return;
        if (drawPending.getAndSet(true)) return;
        lastDrawNanos = now;
        drawLater();
    }

    /** Snapshots this step's checkpoint now (the next save replaces the file) and samples it on the writer thread. */
    private void evaluateLater(long step) {
        Path snapshot;
        try {
            snapshot = eval.snapshot(step);
        } catch (IOException e) {
            if (failure == null) failure = e;
            evalPending.set(false);
            return;
        }
        submit(() -> {
            evalPending.set(false);
            Map<String, Object> rec = eval.run(snapshot);
            Files.writeString(metrics, RunInfo.value(rec, "").replaceAll("\\s*\n\\s*", "") + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        });
    }

    private ProgressEval eval;
    private long evalEvery;
    private final java.util.concurrent.atomic.AtomicBoolean evalPending = new java.util.concurrent.atomic.AtomicBoolean();

    /** Samples the checkpoint into DIR/progress/ after each checkpoint at a multiple of {@code every} steps (one waiting at most). */
    void evaluateEvery(long every, ProgressEval eval) {
        this.evalEvery = every;
        this.eval = every > 0 ? eval : null;
    }

    static final long REDRAW_NANOS = 5_000_000_000L;
    private final java.util.concurrent.atomic.AtomicBoolean drawPending = new java.util.concurrent.atomic.AtomicBoolean();
    private long lastDrawNanos;

    private void drawLater() {
        submit(() -> {
            drawPending.set(false);
            if (!history.isEmpty())
                LossPlot.write(dir.resolve("loss.png"), "loss: " + dir.getFileName(), List.of(new LossPlot.Run(String.valueOf(dir.getFileName()), List.copyOf(history))), true);
        });
    }

    /** Writes {@code text} to {@code file} in the run folder atomically, on the writer thread. */
    void writeLater(String file, String text) {
        submit(() -> AtomicFiles.writeString(dir.resolve(file), text));
    }

    /** Waits for the writer to finish everything given to it; a write that failed is reported as a note. */
    private boolean closed;

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        writer.shutdown();
        try {
            if (!writer.awaitTermination(60, TimeUnit.SECONDS)) System.err.println("note: the run log's writer did not finish in 60 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) System.err.println("note: could not write the run log in " + dir + ": " + failure);
    }

    /** Metrics of a metrics.jsonl file (malformed lines skipped). */
    static List<Metric> read(Path file) throws IOException {
        List<Metric> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.contains("\"eval\"")) continue;
            try {
                out.add(Metric.of(Json.parse(line)));
            } catch (RuntimeException malformed) {
                // skipped
            }
        }
        return out;
    }
}
