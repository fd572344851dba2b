package dev.panflow.bench;

import java.util.Locale;

/**
 * One measurement of {@code panflow bench}: the median time of one unit (a training step, a
 * whole sampling run, one matrix product) over the repeats, and the matching rate. The JSON
 * line uses the field names of the PyTorch reference script so the two can be compared, plus
 * {@code backend}: who ran the dense layers' GEMMs ("jvm", "onednn").
 */
public record BenchResult(String what, int dim, int hidden, int batch, int threads, double medianS,
                          double perS, String unit, double gflopS, double[] repeatS, String backend) {

    public String json() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT,
                "{\"what\": \"%s\", \"dim\": %d, \"hidden\": %d, \"batch\": %d, \"threads\": %d, "
                        + "\"median_s\": %.6g, \"per_s\": %.6g, \"unit\": \"%s\", \"gflop_s\": %.4g, \"repeat_s\": [",
                what, dim, hidden, batch, threads, medianS, perS, unit, gflopS));
        for (int i = 0; i < repeatS.length; i++) sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", repeatS[i]));
        return sb.append("], \"impl\": \"panflow\", \"backend\": \"").append(backend).append("\"}").toString();
    }

    /** A line for people: what, the rate, and GFLOP/s. */
    public String text() {
        String shape = dim > 0 ? String.format(Locale.ROOT, " (dim %d, hidden %d, %s %d)", dim, hidden,
                what.startsWith("sample") ? "points" : "batch", batch) : "";
        return String.format(Locale.ROOT, "%-28s %-7s %12.1f %-10s %8.1f GFLOP/s%s", what, backend, perS, unit.split(" ")[0], gflopS, shape);
    }
}
