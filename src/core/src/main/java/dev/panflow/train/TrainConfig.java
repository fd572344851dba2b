package dev.panflow.train;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.nn.MlpConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/** Everything that defines a training run; saved in every checkpoint's metadata. */
public record TrainConfig(
        String data, String path, int hidden, int layers, String timeEmbedding, int frequencies,
        int batch, long steps, float lr, LrSchedule lrSchedule, long warmup, float weightDecay,
        float emaDecay, float maxGradNorm, long seed, long checkpointEvery, TimeSampling timeSampling,
        float timeLocation) {

    public TrainConfig {
        check(batch >= 1 && batch <= 1 << 22, "batch", "batch must be in [1, 4194304], got " + batch);
        check(steps >= 1, "steps", "steps must be ≥ 1, got " + steps);
        check(lr > 0 && Float.isFinite(lr) && lr < 10, "lr", "lr must be in (0, 10), got " + lr);
        check(lrSchedule != null, "lrSchedule", "lrSchedule must be given (constant or cosine)");
        check(timeSampling != null, "timeSampling", "timeSampling must be given (uniform or logit-normal)");
        check(warmup >= 0, "warmup", "warmup must be ≥ 0, got " + warmup);
        check(weightDecay >= 0 && weightDecay < 1, "weightDecay", "weightDecay must be in [0, 1), got " + weightDecay);
        check(emaDecay >= 0 && emaDecay < 1, "emaDecay", "emaDecay must be in [0, 1), got " + emaDecay);
        check(maxGradNorm >= 0 && !Float.isNaN(maxGradNorm), "maxGradNorm", "maxGradNorm must be ≥ 0 (0 = off), got " + maxGradNorm);
        check(Math.abs(timeLocation) <= 5, "timeLocation", "timeLocation must be in [-5, 5], got " + timeLocation);
        check(checkpointEvery >= 0, "checkpointEvery", "checkpointEvery must be ≥ 0, got " + checkpointEvery);
    }

    private static void check(boolean ok, String parameter, String message) {
        if (!ok) throw new InvalidParameterException(message, parameter);
    }

    public MlpConfig mlp(int dim) {
        return new MlpConfig(dim, hidden, layers, timeEmbedding, frequencies);
    }

    /** Learning rate at 1-based step k: linear warm-up, then constant or cosine decay to lr/10. */
    public float lrAt(long k) { return lrAt(k, steps); }

    /** The same schedule laid over {@code horizon} steps instead of {@link #steps()} (e.g. a time budget's estimate). */
    public float lrAt(long k, long horizon) {
        if (warmup > 0 && k <= warmup) return lr * k / warmup;
        if (lrSchedule == LrSchedule.CONSTANT) return lr;
        double p = Math.min(1.0, (double) (k - warmup) / Math.max(1, horizon - warmup));
        return (float) (lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p))));
    }

    /**
     * The schedule re-laid at step {@code from}, where the decay had come {@code fromProgress}
     * (0 to 1) of the way: from there it runs on to 1 at {@code horizon}, so a time budget's new
     * estimate keeps the lr continuous and falling, p(k) = p0 + (1 − p0)(k − k0)/(H − k0).
     * With {@code from} ≤ the warm-up and p0 = 0 it is {@link #lrAt(long, long)}.
     */
    public float lrAt(long k, long horizon, long from, double fromProgress) {
        if (from <= warmup) return lrAt(k, horizon);
        if (warmup > 0 && k <= warmup) return lr * k / warmup;
        if (lrSchedule == LrSchedule.CONSTANT) return lr;
        return (float) (lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * decayProgress(k, horizon, from, fromProgress)))));
    }

    /** How far the cosine decay has come at step k (0 to 1) under {@link #lrAt(long, long, long, double)}. */
    public double decayProgress(long k, long horizon, long from, double fromProgress) {
        if (from <= warmup) return Math.max(0, Math.min(1.0, (double) (k - warmup) / Math.max(1, horizon - warmup)));
        return Math.max(0, Math.min(1.0, fromProgress + (1 - fromProgress) * (double) (k - from) / Math.max(1, horizon - from)));
    }

    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("data", data);
        m.put("path", path);
        m.put("hidden", Integer.toString(hidden));
        m.put("layers", Integer.toString(layers));
        m.put("time_embedding", timeEmbedding);
        m.put("frequencies", Integer.toString(frequencies));
        m.put("batch", Integer.toString(batch));
        m.put("steps", Long.toString(steps));
        m.put("lr", Float.toString(lr));
        m.put("lr_schedule", lrSchedule.id);
        m.put("warmup", Long.toString(warmup));
        m.put("weight_decay", Float.toString(weightDecay));
        m.put("ema_decay", Float.toString(emaDecay));
        m.put("max_grad_norm", Float.toString(maxGradNorm));
        m.put("seed", Long.toString(seed));
        m.put("checkpoint_every", Long.toString(checkpointEvery));
        m.put("time_sampling", timeSampling.flag);
        m.put("time_location", Float.toString(timeLocation));
        return m;
    }

    public static TrainConfig fromMetadata(Map<String, String> m, String source) {
        try {
            return new TrainConfig(get(m, "data", source), get(m, "path", source),
                    Integer.parseInt(get(m, "hidden", source)), Integer.parseInt(get(m, "layers", source)),
                    get(m, "time_embedding", source), Integer.parseInt(get(m, "frequencies", source)),
                    Integer.parseInt(get(m, "batch", source)), Long.parseLong(get(m, "steps", source)),
                    Float.parseFloat(get(m, "lr", source)), LrSchedule.byName(get(m, "lr_schedule", source)),
                    Long.parseLong(get(m, "warmup", source)), Float.parseFloat(get(m, "weight_decay", source)),
                    Float.parseFloat(get(m, "ema_decay", source)), Float.parseFloat(get(m, "max_grad_norm", source)),
                    Long.parseLong(get(m, "seed", source)), Long.parseLong(get(m, "checkpoint_every", source)),
                    TimeSampling.byName(get(m, "time_sampling", source)), Float.parseFloat(get(m, "time_location", source)));
        } catch (NumberFormatException e) {
            throw new UserError(source + ": bad number in checkpoint metadata: " + e.getMessage());
        }
    }

    private static String get(Map<String, String> m, String key, String source) {
        String v = m.get(key);
        if (v == null) throw new UserError(source + ": not a Panflow checkpoint (metadata has no '" + key + "')");
        return v;
    }

}
