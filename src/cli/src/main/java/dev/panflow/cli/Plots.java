package dev.panflow.cli;

import dev.panflow.data.Checkerboard;
import dev.panflow.data.Datasets;
import dev.panflow.io.ScatterPlot;
import dev.panflow.tensor.Tensor;
import java.nio.file.Path;

/** The picture and the quality figure the CLI prints after sampling 2-D data. */
final class Plots {
    private Plots() {}

    /** Writes a scatter PNG of 2-D samples; bounds fixed for built-in sets, else from the data. */
    static void scatter(Tensor samples, String data, Path png, String title) {
        if (samples.cols() != 2) {
            System.err.println("note: data has " + samples.cols() + " dimensions; a scatter plot needs 2, so no PNG was written");
            return;
        }
        double[] b = bounds(samples.toArray(), data);
        double lo = b[0], hi = b[1];
        ScatterPlot.writePng(png, samples.segment(), samples.rows(), lo, hi, lo, hi, 768, title);
    }

    /** Fixed bounds for built-in sets, else the 0.5 %–99.5 % quantiles of all coordinates, padded by 10 %. */
    static double[] bounds(float[] v, String data) {
        if (Datasets.builtinNames().contains(data)) return new double[] {-4.5, 4.5};
        float[] sorted = v.clone();
        java.util.Arrays.sort(sorted);
        // 0.5 % and 99.5 % quantiles of all coordinates keep a few strays from shrinking the picture.
        double a = sorted[(int) (0.005 * (sorted.length - 1))], b = sorted[(int) (0.995 * (sorted.length - 1))];
        double pad = 0.1 * Math.max(b - a, 1e-6);
        return new double[] {a - pad, b + pad};
    }

    /** A row of panels of 2-D points, one per frame (e.g. t = 0, ¼, ½, ¾, 1), bounds from the last frame. */
    static void trajectory(java.util.List<float[]> frames, String data, Path png, String[] titles) {
        double[] b = bounds(frames.getLast(), data);
        var segs = frames.stream().map(java.lang.foreign.MemorySegment::ofArray).toList();
        ScatterPlot.writePanels(png, segs, frames.getFirst().length / 2, titles, b[0], b[1], b[0], b[1], 320);
    }

    /** A one-line quality note for data sets with a known score, else null. */
    static String quality(Tensor samples, String data) {
        if (data.equals("checkerboard") && samples.cols() == 2)
            return String.format("on-square fraction %.4f (data 1.0, uniform noise 0.5)",
                    Checkerboard.onFraction(samples.segment(), samples.rows()));
        return null;
    }
}
