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
        double lo = -4.5, hi = 4.5;
        if (!Datasets.builtinNames().contains(data)) {
            float[] v = samples.toArray();
            float[] sorted = v.clone();
            java.util.Arrays.sort(sorted);
            // 0.5 % and 99.5 % quantiles of all coordinates keep a few strays from shrinking the picture.
            double a = sorted[(int) (0.005 * (sorted.length - 1))], b = sorted[(int) (0.995 * (sorted.length - 1))];
            double pad = 0.1 * Math.max(b - a, 1e-6);
            lo = a - pad;
            hi = b + pad;
        }
        ScatterPlot.writePng(png, samples.segment(), samples.rows(), lo, hi, lo, hi, 768, title);
    }

    /** A one-line quality note for data sets with a known score, else null. */
    static String quality(Tensor samples, String data) {
        if (data.equals("checkerboard") && samples.cols() == 2)
            return String.format("on-square fraction %.4f (data 1.0, uniform noise 0.5)",
                    Checkerboard.onFraction(samples.segment(), samples.rows()));
        return null;
    }
}
