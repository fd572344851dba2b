package dev.panflow.cli;

import dev.panflow.api.Flow;
import dev.panflow.api.LoadOptions;
import dev.panflow.api.SampleRequest;
import dev.panflow.api.Samples;
import dev.panflow.data.Checkerboard;
import dev.panflow.io.ImageGrid;
import dev.panflow.io.ScatterPlot;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * --eval-every: samples of the checkpoint as the run goes, into DIR/progress/step-NNNNNNN.png
 * (a scatter for 2-D data, an image grid for images), each with an evaluation record for
 * metrics.jsonl. Runs on the run log's writer thread, with one kernel thread, from a snapshot of
 * the checkpoint taken when it was written: the trainer replaces the file (by a rename) at the
 * next checkpoint, possibly before the evaluation starts.
 */
final class ProgressEval {
    private final Path dir, checkpoint;
    private final String data;
    private final int n, steps;
    private final long seed;

    ProgressEval(Path dir, String data, int n, int steps, long seed) {
        this.dir = dir.resolve("progress");
        this.checkpoint = dir.resolve("model.safetensors");
        this.data = data;
        this.n = n;
        this.steps = steps;
        this.seed = seed;
    }

    /**
     * The checkpoint as written at {@code step}, kept for {@link #run}: a hard link (a metadata
     * operation, cheap on the training thread; the next save renames a new file over the name, so
     * the link keeps this one), or a copy where links are not supported.
     */
    Path snapshot(long step) throws IOException {
        Files.createDirectories(dir);
        Path snap = dir.resolve(String.format(".checkpoint-%09d.safetensors", step));
        Files.deleteIfExists(snap);
        try {
            Files.createLink(snap, checkpoint);
        } catch (IOException | UnsupportedOperationException noLinks) {
            Files.copy(checkpoint, snap);
        }
        return snap;
    }

    /** Samples a {@link #snapshot} and deletes it; returns the evaluation record (step, seconds, and a quality figure where known). */
    Map<String, Object> run(Path snapshot) throws IOException {
        long t0 = System.nanoTime();
        try (Flow flow = Flow.load(snapshot, LoadOptions.defaults().threads(1))) {
            long step = flow.info().step();
            int[] shape = flow.info().imageShape();
            int count = shape != null ? Math.min(n, 64) : n;
            Samples s = flow.sampleWithStats(SampleRequest.of(count).solver("euler").steps(steps).seed(seed));
            Path png = dir.resolve(String.format("step-%09d.png", step));
            MemorySegment pts = MemorySegment.ofArray(s.values());
            Map<String, Object> rec = new LinkedHashMap<>();
            rec.put("eval", true);
            rec.put("step", step);
            if (shape != null) {
                ImageGrid.Layout g = ImageGrid.layout(count, 0, shape[1], shape[2]);
                ImageGrid.writePng(png, pts, g.shown(), shape[0], shape[1], shape[2], g.cols(), g.zoom());
            } else if (s.dim() == 2) {
                double[] b = Plots.bounds(s.values(), data);
                ScatterPlot.writePng(png, pts, count, b[0], b[1], b[0], b[1], 384, data + ", step " + step);
                if (data.equals("checkerboard")) rec.put("on_square_fraction", Checkerboard.onFraction(pts, count));
            } else {
                rec.put("note", "no picture: data has " + s.dim() + " dimensions");
                png = null;
            }
            rec.put("samples", count);
            rec.put("nfe", s.nfe());
            rec.put("seconds", (System.nanoTime() - t0) * 1e-9);
            if (png != null) rec.put("picture", dir.getFileName() + "/" + png.getFileName());
            return rec;
        } finally {
            Files.deleteIfExists(snapshot);
        }
    }
}
