package dev.panflow.train;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.nn.UNetConfig;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which velocity-field model a run trains, beyond {@link TrainConfig}: "mlp" (the default, for
 * rows of numbers) or "unet" (images) with its channels per resolution, GroupNorm groups,
 * classes (0 = unconditional), the label-dropout probability of classifier-free guidance
 * training, the dropout probability of the U-Net's Res blocks in training (0 = none) and the
 * heads of the self-attention block after the mid block (0 = none). Saved in checkpoint metadata
 * so {@code sample} rebuilds the same model and a resume trains it the same way.
 */
public record ModelSpec(String kind, int[] channels, int groups, boolean conditional, float labelDropout, float dropout, int attentionHeads) {
    public static final ModelSpec MLP = new ModelSpec("mlp", new int[0], 0, false, 0f);

    /** Without dropout or attention. */
    public ModelSpec(String kind, int[] channels, int groups, boolean conditional, float labelDropout) {
        this(kind, channels, groups, conditional, labelDropout, 0f, 0);
    }

    public ModelSpec {
        channels = channels.clone();
        if (!kind.equals("mlp") && !kind.equals("unet")) throw InvalidParameterException.unknown("model", kind, "mlp or unet");
        if (!(labelDropout >= 0 && labelDropout < 1)) throw new InvalidParameterException("labelDropout must be in [0, 1), got " + labelDropout, "labelDropout");
        dev.panflow.nn.Dropout.check(dropout);
        if (dropout != 0 && !kind.equals("unet"))
            throw new InvalidParameterException("dropout applies to model unet only (got model " + kind + ")", "dropout", "model");
        if (attentionHeads != 0 && !kind.equals("unet")) throw new InvalidParameterException("attentionHeads needs model unet", "attentionHeads", "model");
        if (attentionHeads != 0) UNetConfig.checkAttentionHeads(attentionHeads, channels[channels.length - 1]);
    }

    @Override public int[] channels() { return channels.clone(); }

    public boolean isUnet() { return kind.equals("unet"); }

    public UNetConfig unet(int imageChannels, int height, int width, int frequencies, int classes) {
        return new UNetConfig(imageChannels, height, width, channels, groups, frequencies, conditional ? classes : 0, 1, attentionHeads);
    }

    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("model", kind);
        if (isUnet()) {
            m.put("unet_channels", UNetConfig.list(channels));
            m.put("unet_groups", Integer.toString(groups));
            m.put("conditional", Boolean.toString(conditional));
            m.put("label_dropout", Float.toString(labelDropout));
            if (dropout > 0) m.put("dropout", Float.toString(dropout)); // absent: 0 (files from before dropout read so)
            m.put("unet_attention_heads", Integer.toString(attentionHeads));
        }
        return m;
    }

    /**
     * Checkpoints written before the U-Net existed have no "model" key: they are MLPs; U-Nets
     * written before attention existed have no "unet_attention_heads": they have none.
     */
    public static ModelSpec fromMetadata(Map<String, String> m, String source) {
        String kind = m.getOrDefault("model", "mlp");
        if (kind.equals("mlp")) return MLP;
        try {
            return new ModelSpec(kind, UNetConfig.parseList(req(m, "unet_channels", source)),
                    Integer.parseInt(req(m, "unet_groups", source)), Boolean.parseBoolean(req(m, "conditional", source)),
                    Float.parseFloat(req(m, "label_dropout", source)), Float.parseFloat(m.getOrDefault("dropout", "0")),
                    Integer.parseInt(m.getOrDefault("unet_attention_heads", "0")));
        } catch (NumberFormatException e) {
            throw new UserError(source + ": bad number in checkpoint metadata: " + e.getMessage());
        }
    }

    private static String req(Map<String, String> m, String key, String source) {
        String v = m.get(key);
        if (v == null) throw new UserError(source + ": U-Net checkpoint metadata has no '" + key + "'");
        return v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSpec s && s.kind.equals(kind) && Arrays.equals(s.channels, channels) && s.groups == groups
                && s.conditional == conditional && s.labelDropout == labelDropout && s.dropout == dropout
                && s.attentionHeads == attentionHeads;
    }

    @Override
    public int hashCode() { return kind.hashCode() * 31 + Arrays.hashCode(channels); }
}
