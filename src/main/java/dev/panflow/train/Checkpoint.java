package dev.panflow.train;

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

    private Checkpoint() {}

    public static void save(CfmTrainer tr, Path file) {
        ParamStore ps = tr.model.params();
        Map<String, Tensor> tensors = new LinkedHashMap<>(ps.views(ps.values(), ""));
        tensors.putAll(ps.views(tr.ema.weights(), "ema."));
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
        meta.put("step", Long.toString(tr.step()));
        meta.put("rng", join(tr.rng.state()));
        Safetensors.write(file, tensors, meta);
    }

    /** Loads a checkpoint into a trainer built with the same config, to continue the run. */
    public static void restore(CfmTrainer tr, Path file) {
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = Safetensors.read(file, arena);
            Map<String, String> meta = f.metadata();
            checkFormat(meta, file);
            TrainConfig saved = TrainConfig.fromMetadata(meta, file.toString());
            if (!saved.mlp(tr.dim()).equals(tr.config.mlp(tr.dim())) || !saved.path().equals(tr.config.path())
                    || !saved.data().equals(tr.config.data()) || saved.batch() != tr.config.batch()
                    || saved.seed() != tr.config.seed() || !ModelSpec.fromMetadata(meta, file.toString()).equals(tr.spec))
                throw new UserError(file + " was trained with another configuration (" + saved.data() + ", path "
                        + saved.path() + ", hidden " + saved.hidden() + ", layers " + saved.layers() + ", batch "
                        + saved.batch() + ", seed " + saved.seed() + "); pass the same flags to --resume it");
            ParamStore ps = tr.model.params();
            load(ps, ps.values(), f, "", file);
            load(ps, tr.ema.weights(), f, "ema.", file);
            load(ps, tr.optimizer.firstMoment(), f, "adam_m.", file);
            load(ps, tr.optimizer.secondMoment(), f, "adam_v.", file);
            tr.optimizer.setSteps(parseLong(meta, "step", file));
            tr.rng.setState(parseLongs(meta.get("rng"), file));
        }
    }

    /** A trained model for sampling: its config, data dimension and weights (EMA or raw). */
    /**
     * A trained model: config, data dimension, weights (EMA or raw), the model spec and, for
     * images, the image shape [c, h, w] and the number of classes (0 = unconditional).
     */
    public record Model(TrainConfig config, int dim, long step, Map<String, Tensor> weights, boolean ema,
                        ModelSpec spec, int[] imageShape, int classes) {}

    public static Model readModel(Path file, Arena arena, boolean preferEma) {
        SafetensorsFile f = Safetensors.read(file, arena);
        Map<String, String> meta = f.metadata();
        checkFormat(meta, file);
        TrainConfig cfg = TrainConfig.fromMetadata(meta, file.toString());
        int dim = (int) parseLong(meta, "dim", file);
        boolean haveEma = f.tensors().keySet().stream().anyMatch(k -> k.startsWith("ema."));
        boolean useEma = preferEma && haveEma;
        Map<String, Tensor> w = new LinkedHashMap<>();
        for (var e : f.tensors().entrySet()) {
            String k = e.getKey();
            if (useEma && k.startsWith("ema.")) w.put(k.substring(4), e.getValue());
            else if (!useEma && k.startsWith("net.")) w.put(k, e.getValue());
        }
        ModelSpec spec = ModelSpec.fromMetadata(meta, file.toString());
        int[] shape = null;
        int classes = 0;
        if (spec.isUnet()) {
            shape = dev.panflow.nn.UNetConfig.parseList(meta.getOrDefault("image_shape", ""));
            if (shape.length != 3) throw new UserError(file + ": metadata 'image_shape' must be c,h,w");
            classes = (int) parseLong(meta, "classes", file);
        }
        return new Model(cfg, dim, parseLong(meta, "step", file), w, useEma, spec, shape, classes);
    }

    /** Copies named weights into a store's values, checking every shape. */
    public static void loadWeights(ParamStore ps, Map<String, Tensor> weights, Path file) {
        copyNamed(ps.views(ps.values(), ""), weights, file);
    }

    private static void load(ParamStore ps, Tensor flat, SafetensorsFile f, String prefix, Path file) {
        copyNamed(ps.views(flat, prefix), f.tensors(), file);
    }

    /** dst[name] ← src[name] for every name of dst; a missing name or another shape is the user's error. */
    private static void copyNamed(Map<String, Tensor> dst, Map<String, Tensor> src, Path file) {
        for (var e : dst.entrySet()) {
            Tensor from = src.get(e.getKey());
            if (from == null) throw new UserError(file + " has no tensor '" + e.getKey() + "' (the model's flags do not match this file)");
            if (!Arrays.equals(from.shape(), e.getValue().shape()))
                throw new UserError(file + ": tensor '" + e.getKey() + "' has shape " + Arrays.toString(from.shape())
                        + ", the model needs " + Arrays.toString(e.getValue().shape()));
            e.getValue().copyFrom(from);
        }
    }

    private static void checkFormat(Map<String, String> meta, Path file) {
        if (!FORMAT.equals(meta.get("format")) && !FORMAT_UNET.equals(meta.get("format")))
            throw new UserError(file + " is not a Panflow checkpoint (format '" + meta.get("format") + "', expected '" + FORMAT + "' or '" + FORMAT_UNET + "')");
    }

    private static long parseLong(Map<String, String> meta, String key, Path file) {
        try {
            return Long.parseLong(meta.get(key));
        } catch (NumberFormatException e) {
            throw new UserError(file + ": metadata '" + key + "' is not a whole number: " + meta.get(key));
        }
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
