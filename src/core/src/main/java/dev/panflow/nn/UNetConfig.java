package dev.panflow.nn;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import java.util.Arrays;

/**
 * Shape of a {@link UNet}: image channels × height × width, channels per resolution (the
 * image is halved between consecutive entries), GroupNorm groups, time-embedding frequencies,
 * classes for a conditional model (0 = unconditional), and the time inputs (1: v(x, t); 2: a
 * few-step model u(x, t, h), both embedded side by side), and the heads of the self-attention
 * block after the mid block, at the lowest resolution (0 = no attention).
 */
public record UNetConfig(int imageChannels, int height, int width, int[] channels, int groups, int frequencies, int classes,
                         int timeInputs, int attentionHeads) {
    /** One time input, no attention. */
    public UNetConfig(int imageChannels, int height, int width, int[] channels, int groups, int frequencies, int classes) {
        this(imageChannels, height, width, channels, groups, frequencies, classes, 1, 0);
    }

    /** No attention. */
    public UNetConfig(int imageChannels, int height, int width, int[] channels, int groups, int frequencies, int classes, int timeInputs) {
        this(imageChannels, height, width, channels, groups, frequencies, classes, timeInputs, 0);
    }

    public UNetConfig {
        if (timeInputs != 1 && timeInputs != 2) throw InvalidParameterException.range("timeInputs", 1, 2, timeInputs);
        channels = channels.clone();
        if (imageChannels < 1 || height < 1 || width < 1) throw new UserError("bad image shape " + imageChannels + "×" + height + "×" + width);
        if (channels.length < 1 || channels.length > 5) throw new InvalidParameterException("channels needs 1 to 5 entries, got " + channels.length, "channels");
        int scale = 1 << (channels.length - 1);
        if (height % scale != 0 || width % scale != 0)
            throw new InvalidParameterException(height + "×" + width + " images cannot be halved " + (channels.length - 1)
                    + " times (channels " + list(channels) + "); use fewer entries", "channels");
        if (groups < 1) throw InvalidParameterException.atLeast("groups", 1, groups); // before c % groups below
        for (int c : channels) {
            if (c < 1 || c > 1024) throw new InvalidParameterException("channels entries must be in [1, 1024], got " + list(channels), "channels");
            if (c % Math.min(groups, c) != 0) throw new InvalidParameterException("channels " + c + " is not divisible by groups " + groups, "channels", "groups");
        }
        if (frequencies < 1 || frequencies > 1024) throw InvalidParameterException.range("frequencies", 1, 1024, frequencies);
        if (classes < 0 || classes > 100000) throw new UserError("classes must be in [0, 100000], got " + classes);
        checkAttentionHeads(attentionHeads, channels[channels.length - 1]);
    }

    /** Heads must split the lowest resolution's channels (0: no attention). */
    public static void checkAttentionHeads(int heads, int channels) {
        if (heads < 0 || heads > channels) throw InvalidParameterException.range("attentionHeads", 0, channels, heads);
        if (heads > 0 && channels % heads != 0)
            throw new InvalidParameterException("attentionHeads " + heads + " does not divide " + channels + ", the last entry of channels",
                    "attentionHeads", "channels");
    }

    @Override public int[] channels() { return channels.clone(); }

    public int levels() { return channels.length; }

    public UNetConfig withTimeInputs(int n) { return new UNetConfig(imageChannels, height, width, channels, groups, frequencies, classes, n, attentionHeads); }

    public UNetConfig withAttentionHeads(int heads) { return new UNetConfig(imageChannels, height, width, channels, groups, frequencies, classes, timeInputs, heads); }

    /** Width of the time (and class) embedding. */
    public int embeddingWidth() { return 4 * channels[0]; }

    public static String list(int[] c) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < c.length; i++) sb.append(i == 0 ? "" : ",").append(c[i]);
        return sb.toString();
    }

    public static int[] parseList(String s) {
        try {
            return Arrays.stream(s.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new InvalidParameterException("channels must be a comma-separated list of whole numbers, got '" + s + "'", "channels");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UNetConfig u && u.imageChannels == imageChannels && u.height == height && u.width == width
                && Arrays.equals(u.channels, channels) && u.groups == groups && u.frequencies == frequencies && u.classes == classes
                && u.timeInputs == timeInputs && u.attentionHeads == attentionHeads;
    }

    @Override
    public int hashCode() { return Arrays.hashCode(channels) * 31 + height * 7 + classes; }
}
