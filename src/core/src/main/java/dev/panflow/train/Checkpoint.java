package dev.panflow.train;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.io.Safetensors;
import dev.panflow.io.SafetensorsFile;
import dev.panflow.nn.ParamStore;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training run in one safetensors file: weights ("net.*"), EMA weights ("ema.net.*"), Adam
 * moments ("adam_m.net.*", "adam_v.net.*") and, in the metadata, the config, the step and the
 * RNG state — all a resumed run needs to continue bit for bit. Written atomically.
 */
public final class Checkpoint {
    public static final String FORMAT = "panflow-cfm-mlp-1";
    public static final String FORMAT_UNET = "panflow-cfm-unet-1";
    /** Largest data dimension a checkpoint may declare. */
    static final int MAX_DIM = 1 << 24;

    private Checkpoint() {}

    /**
     * Writes the run to {@code file} atomically. Weights, EMA or moments that are not all finite
     * (an update that overflowed) are refused with TrainingDiverged: the last good file stays.
     */
    public static void save(CfmTrainer tr, Path file) {
        ParamStore ps = tr.model.params();
        Tensor ema = tr.ema.weights();   // once: with EMA decay 0 each call copies the weights
        for (Tensor t : new Tensor[] {ps.values(), ema, tr.optimizer.firstMoment(), tr.optimizer.secondMoment()})
            if (!allFinite(t))
                throw new TrainingDiverged("the weights stopped being finite at step " + tr.step() + " (the update overflowed: lr "
                        + tr.config.lr() + " is likely too high, or the data has extreme values); " + file + " was not overwritten", "lr");
        Map<String, Tensor> tensors = new LinkedHashMap<>(ps.views(ps.values(), ""));
        tensors.putAll(ps.views(ema, "ema."));
        tensors.putAll(ps.views(tr.optimizer.firstMoment(), "adam_m."));
        tensors.putAll(ps.views(tr.optimizer.secondMoment(), "adam_v."));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", tr.spec.isUnet() ? FORMAT_UNET : FORMAT);
        meta.put("dim", Integer.toString(tr.dim()));
        meta.putAll(tr.config.toMetadata());
        meta.putAll(tr.spec.toMetadata());
        if (tr.data instanceof dev.panflow.data.ImageDataSource img) {
            meta.put("image_shape", img.channels() + "," + img.height() + "," + img.width());
            meta.put("classes", Integer.toString(tr.model.classes()));
        }
        meta.put(Objective.KEY, tr.objective.id);
        meta.put("step", Long.toString(tr.step()));
        if (tr.timeBudgetSeconds() > 0) meta.put("time_budget_s", Double.toString(tr.timeBudgetSeconds()));
        if (tr.hasScheduleEstimate()) meta.put("schedule_steps", Long.toString(tr.scheduleSteps()));
        if (tr.scheduleFrom() > 0) { // re-laid by a later estimate: where, and how far the decay had come
            meta.put("schedule_from_step", Long.toString(tr.scheduleFrom()));
            meta.put("schedule_from_progress", Double.toString(tr.scheduleFromProgress()));
        }
        meta.put("coupling", tr.data instanceof dev.panflow.data.PairedDataSource ? "paired" : tr.coupling().name());
        if (!(tr.data instanceof dev.panflow.data.PairedDataSource)) meta.putAll(tr.couplingMetadata());
        meta.put("rng", join(tr.rng.state()));
        Safetensors.write(file, tensors, meta);
    }

    private static boolean allFinite(Tensor t) {
        var seg = t.segment();
        for (long i = 0, n = t.size(); i < n; i++)
            if (!Float.isFinite(seg.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i))) return false;
        return true;
    }

    /** Says which checkpoint a stopped run leaves behind (for the message of a diverged run). */
    public static String keptNote(Path file) {
        if (!java.nio.file.Files.exists(file)) return "no checkpoint had been written yet";
        try (Arena a = Arena.ofConfined()) {
            return "the last good checkpoint (step " + readModel(file, a, false).step() + ") is kept at " + file;
        } catch (RuntimeException unreadable) {
            return "the checkpoint at " + file + " was left as it was";
        }
    }

    /** Loads a checkpoint into a trainer built with the same config, to continue the run. */
    public static void restore(CfmTrainer tr, Path file) {
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = Safetensors.read(file, arena);
            Map<String, String> meta = f.metadata();
            checkFormat(meta, file);
            if (isSamplingOnly(meta))
                throw new UserError(file + " is a sampling checkpoint (EMA weights only, no optimizer state): it cannot be resumed");
            TrainConfig saved = TrainConfig.fromMetadata(meta, file.toString());
            long savedDim = parseLong(meta, "dim", file);
            if (savedDim != tr.dim())
                throw new InvalidParameterException(file + " was trained in " + savedDim + " dimensions; data gives " + tr.dim(), "data");
            ModelSpec savedSpec = ModelSpec.fromMetadata(meta, file.toString());
            if (savedSpec.dropout() != tr.spec.dropout())
                throw new InvalidParameterException(file + " was trained with dropout " + savedSpec.dropout() + "; resume it with the same dropout (got "
                        + tr.spec.dropout() + ")", "dropout");
            if (!saved.mlp(tr.dim()).equals(tr.config.mlp(tr.dim())) || !saved.path().equals(tr.config.path())
                    || !saved.data().equals(tr.config.data()) || saved.batch() != tr.config.batch()
                    || saved.seed() != tr.config.seed() || !savedSpec.equals(tr.spec))
                throw new UserError(file + " was trained with another configuration (" + saved.data() + ", path "
                        + saved.path() + ", hidden " + saved.hidden() + ", layers " + saved.layers() + ", batch "
                        + saved.batch() + ", seed " + saved.seed() + "); resume it with the same settings");
            Objective obj = Objective.fromMetadata(meta, file);
            if (obj != tr.objective)
                throw new InvalidParameterException(file + " was trained with objective " + obj.id + "; resume it with the same objective (got "
                        + tr.objective.id + ")", "objective");
            String coupling = meta.getOrDefault("coupling", "independent");
            if (!coupling.equals(tr.coupling().name()) && !(tr.data instanceof dev.panflow.data.PairedDataSource))
                throw new InvalidParameterException(file + " was trained with coupling " + coupling + "; resume it with the same coupling",
                        "coupling");
            if (!(tr.data instanceof dev.panflow.data.PairedDataSource)
                    && !meta.getOrDefault("coupling_batch", "0").equals(Integer.toString(tr.couplingBatch())))
                throw new InvalidParameterException(file + " was trained with couplingBatch " + meta.getOrDefault("coupling_batch", "0 (none)")
                        + "; resume it with the same couplingBatch", "couplingBatch");
            if (!(tr.data instanceof dev.panflow.data.PairedDataSource))
                for (var e : tr.couplingMetadata().entrySet())
                    if (!e.getValue().equals(meta.get(e.getKey()))) {
                        String p = camelCase(e.getKey()); // sinkhorn_reg: the parameter sinkhornReg
                        throw new InvalidParameterException(file + " was trained with " + p + " " + meta.get(e.getKey())
                                + "; resume it with the same " + p + " (got " + e.getValue() + ")", p);
                    }
            ParamStore ps = tr.model.params();
            load(ps, ps.values(), f, "", file);
            load(ps, tr.ema.weights(), f, "ema.", file);
            load(ps, tr.optimizer.firstMoment(), f, "adam_m.", file);
            load(ps, tr.optimizer.secondMoment(), f, "adam_v.", file);
            tr.optimizer.setSteps(step(meta, file));
            tr.rng.setState(parseLongs(meta.get("rng"), file));
            if (meta.containsKey("schedule_steps")) { // a time-budgeted run: continue its schedule
                long h = parseLong(meta, "schedule_steps", file);
                if (h < 1) throw new UserError(file + ": metadata 'schedule_steps' is " + h);
                tr.setScheduleSteps(h);
                if (meta.containsKey("schedule_from_step")) {
                    long from = parseLong(meta, "schedule_from_step", file);
                    double progress;
                    try {
                        progress = Double.parseDouble(meta.getOrDefault("schedule_from_progress", ""));
                    } catch (NumberFormatException e) {
                        throw new UserError(file + ": metadata 'schedule_from_progress' is not a number: " + meta.get("schedule_from_progress"));
                    }
                    if (from < 1 || !(progress >= 0 && progress <= 1))
                        throw new UserError(file + ": metadata 'schedule_from_step' " + from + " / 'schedule_from_progress' " + progress + " out of range");
                    tr.setScheduleFrom(from, progress);
                }
            }
            if (meta.containsKey("time_budget_s")) {
                try {
                    tr.setTimeBudgetSeconds(Double.parseDouble(meta.get("time_budget_s")));
                } catch (NumberFormatException e) {
                    throw new UserError(file + ": metadata 'time_budget_s' is not a number: " + meta.get("time_budget_s"));
                }
            }
        }
    }

    /** A trained model for sampling: its config, data dimension and weights (EMA or raw). */
    /**
     * A trained model: config, data dimension, weights (EMA or raw), the model spec and, for
     * images, the image shape [c, h, w] and the number of classes (0 = unconditional).
     */
    public record Model(TrainConfig config, int dim, long step, Map<String, Tensor> weights, boolean ema,
                        ModelSpec spec, int[] imageShape, int classes, Objective objective) {
        /** The U-Net this checkpoint holds (a U-Net checkpoint), its time inputs from the objective. */
        public dev.panflow.nn.UNetConfig unetConfig() {
            return spec.unet(imageShape[0], imageShape[1], imageShape[2], config.frequencies(), classes).withTimeInputs(objective.timeInputs());
        }

        /** The MLP this checkpoint holds (its time inputs from the objective). */
        public dev.panflow.nn.MlpConfig mlpConfig() { return config.mlp(dim).withTimeInputs(objective.timeInputs()); }
    }

    public static Model readModel(Path file, Arena arena, boolean preferEma) {
        return readModel(Safetensors.read(file, arena), file.toString(), preferEma);
    }

    /** The same from a file already read; {@code file} names it in messages. */
    public static Model readModel(SafetensorsFile f, String file, boolean preferEma) {
        Map<String, String> meta = f.metadata();
        checkFormat(meta, file);
        TrainConfig cfg = TrainConfig.fromMetadata(meta, file);
        long dimL = parseLong(meta, "dim", file);
        if (dimL < 1 || dimL > MAX_DIM) throw new UserError(file + ": metadata 'dim' is " + dimL + ", not in [1, " + MAX_DIM + "]");
        int dim = (int) dimL;
        boolean haveEma = f.tensors().keySet().stream().anyMatch(k -> k.startsWith("ema."));
        if (!preferEma && isSamplingOnly(meta))
            throw new InvalidParameterException(file + " is a sampling checkpoint: it holds only the EMA weights, not the raw ones", "ema");
        boolean useEma = preferEma && haveEma;
        Map<String, Tensor> w = new LinkedHashMap<>();
        for (var e : f.tensors().entrySet()) {
            String k = e.getKey();
            if (useEma && k.startsWith("ema.")) w.put(k.substring(4), e.getValue());
            else if (!useEma && k.startsWith("net.")) w.put(k, e.getValue());
        }
        ModelSpec spec = ModelSpec.fromMetadata(meta, file);
        long have = 0;
        for (Tensor t : w.values()) have += t.size();
        if (spec.isUnet()) {
            // The U-Net's weights are checked tensor by tensor when loaded; here the image shape must agree with dim.
            int[] shape = dev.panflow.nn.UNetConfig.parseList(meta.getOrDefault("image_shape", ""));
            if (shape.length != 3 || shape[0] < 1 || shape[1] < 1 || shape[2] < 1 || (long) shape[0] * shape[1] * shape[2] != dim)
                throw new UserError(file + ": metadata 'image_shape' must be c,h,w with c·h·w = dim (" + dim + "), got '"
                        + meta.get("image_shape") + "'");
            long classes = parseLong(meta, "classes", file);
            if (classes < 0 || classes > 100000) throw new UserError(file + ": metadata 'classes' is " + classes + ", not in [0, 100000]");
            return new Model(cfg, dim, step(meta, file), w, useEma, spec, shape, (int) classes, Objective.fromMetadata(meta, file));
        }
        // The model is allocated from the metadata's sizes: they must match the weights actually in
        // the file, so a lying header cannot make the reader allocate more than the file holds.
        Objective objective = Objective.fromMetadata(meta, file);
        long need = cfg.mlp(dim).withTimeInputs(objective.timeInputs()).parameterCount();
        if (have != need)
            throw new UserError(file + ": its " + (useEma ? "EMA " : "") + "weights hold " + have + " values but the metadata's model (dim "
                    + dim + ", hidden " + cfg.hidden() + ", layers " + cfg.layers() + ") has " + need + " parameters");
        return new Model(cfg, dim, step(meta, file), w, useEma, spec, null, 0, objective);
    }

    /** Metadata key of a checkpoint that holds only the weights used for sampling. */
    public static final String SAMPLING_ONLY = "sampling_only";

    static boolean isSamplingOnly(Map<String, String> meta) { return "true".equals(meta.get(SAMPLING_ONLY)); }

    /**
     * Writes {@code out} atomically: the EMA weights of checkpoint {@code in} (its raw weights if it
     * has no EMA) as "ema.net.*" with its metadata, but no raw weights, Adam moments or RNG state —
     * a quarter of the size, enough to sample and evaluate, not to resume.
     */
    public static void writeSamplingOnly(Path in, Path out) {
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = Safetensors.read(in, arena);
            Model m = readModel(f, in.toString(), true);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (var e : m.weights().entrySet()) tensors.put("ema." + e.getKey(), e.getValue());
            Map<String, String> meta = new LinkedHashMap<>(f.metadata());
            meta.remove("rng");
            meta.put(SAMPLING_ONLY, "true");
            Safetensors.write(out, tensors, meta);
        }
    }

    /** Copies named weights into a store's values, checking every shape. */
    public static void loadWeights(ParamStore ps, Map<String, Tensor> weights, Object file) {
        copyNamed(ps.views(ps.values(), ""), weights, file);
    }

    private static void load(ParamStore ps, Tensor flat, SafetensorsFile f, String prefix, Path file) {
        copyNamed(ps.views(flat, prefix), f.tensors(), file);
    }

    /** dst[name] ← src[name] for every name of dst; a missing name or another shape is the user's error. */
    private static void copyNamed(Map<String, Tensor> dst, Map<String, Tensor> src, Object file) {
        for (var e : dst.entrySet()) {
            Tensor from = src.get(e.getKey());
            if (from == null) throw new UserError(file + " has no tensor '" + e.getKey() + "' (the model's flags do not match this file)");
            if (!Arrays.equals(from.shape(), e.getValue().shape()))
                throw new UserError(file + ": tensor '" + e.getKey() + "' has shape " + Arrays.toString(from.shape())
                        + ", the model needs " + Arrays.toString(e.getValue().shape()));
            e.getValue().copyFrom(from);
        }
    }

    private static void checkFormat(Map<String, String> meta, Object file) {
        if (!FORMAT.equals(meta.get("format")) && !FORMAT_UNET.equals(meta.get("format")))
            throw new UserError(file + " is not a Panflow checkpoint (format '" + meta.get("format") + "', expected '" + FORMAT + "' or '" + FORMAT_UNET + "')");
    }

    private static long step(Map<String, String> meta, Object file) {
        long step = parseLong(meta, "step", file);
        if (step < 0) throw new UserError(file + ": metadata 'step' is negative (" + step + ")");
        return step;
    }

    private static long parseLong(Map<String, String> meta, String key, Object file) {
        try {
            return Long.parseLong(meta.get(key));
        } catch (NumberFormatException e) {
            throw new UserError(file + ": metadata '" + key + "' is not a whole number: " + meta.get(key));
        }
    }

    private static String camelCase(String snake) {
        StringBuilder sb = new StringBuilder();
        for (String w : snake.split("_"))
            sb.append(sb.isEmpty() || w.isEmpty() ? w : Character.toUpperCase(w.charAt(0)) + w.substring(1));
        return sb.toString();
    }

    private static String join(long[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) sb.append(i == 0 ? "" : ",").append(v[i]);
        return sb.toString();
    }

    private static long[] parseLongs(String s, Path file) {
        if (s == null) throw new UserError(file + ": metadata has no RNG state");
        try {
            String[] parts = s.split(",");
            long[] out = new long[parts.length];
            for (int i = 0; i < parts.length; i++) out[i] = Long.parseLong(parts[i].trim());
            if (out.length != 6) throw new NumberFormatException("6 words expected");
            return out;
        } catch (NumberFormatException e) {
            throw new UserError(file + ": RNG state in metadata is malformed");
        }
    }
}
