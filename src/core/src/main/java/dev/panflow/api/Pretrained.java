package dev.panflow.api;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The checkpoints that ship inside panflow-core (resources under {@code dev/panflow/pretrained/}),
 * each trained by {@code panflow train} and cut to its EMA weights by {@code panflow export}; the
 * README's "Pretrained models" gives the commands and the measured quality. Their bytes are
 * checked against the SHA-256 below before use. Load one with {@link Flow#loadPretrained}.
 */
public enum Pretrained {
    /** MLP 256×3 on the 2-D checkerboard, OT path, the default recipe of {@code panflow train}. */
    CHECKERBOARD("checkerboard", "bf64482b9c65301b233007c8abfba507166e33d85c789404439023ab4f72af29"),
    /** Class-conditional U-Net (channels 32,64,64) on Fashion-MNIST, OT path, for classifier-free guidance. */
    FASHION_MNIST("fashion-mnist", "24f39b98c8190c01591287e1a58c5aebe5c69bd5a7dba94bfcd0ff74100fc0e9");

    private final String id;
    private final String sha256;

    Pretrained(String id, String sha256) {
        this.id = id;
        this.sha256 = sha256;
    }

    /** The name users type: "checkerboard", "fashion-mnist". */
    public String id() { return id; }

    /** SHA-256 of the shipped file, lower-case hex. */
    public String sha256() { return sha256; }

    /** Where the file lies on the class path. */
    public String resource() { return "/dev/panflow/pretrained/" + id + ".safetensors"; }

    @Override
    public String toString() { return id; }

    /** The entry named {@code name} (its {@link #id()}); an unknown name is the user's error. */
    public static Pretrained byName(String name) {
        for (Pretrained p : values()) if (p.id.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) return p;
        throw InvalidParameterException.unknown("pretrained", String.valueOf(name), names());
    }

    /** "checkerboard or fashion-mnist". */
    public static String names() {
        String[] ids = Stream.of(values()).map(Pretrained::id).toArray(String[]::new);
        return ids.length == 1 ? ids[0]
                : Stream.of(ids).limit(ids.length - 1L).collect(Collectors.joining(", ")) + " or " + ids[ids.length - 1];
    }

    /** The file's bytes, after checking them against {@link #sha256()}. */
    public byte[] verifiedBytes() {
        byte[] bytes;
        try (InputStream in = Pretrained.class.getResourceAsStream(resource())) {
            if (in == null) throw new UserError("the pretrained model " + id + " is not on the class path (" + resource() + ")");
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UserError("cannot read the pretrained model " + id + ": " + e.getMessage(), e);
        }
        return verified(bytes);
    }

    /** {@code bytes} if their SHA-256 is this model's, else the user's error (a damaged or replaced file). */
    byte[] verified(byte[] bytes) {
        String got = sha256Hex(bytes);
        if (!got.equals(sha256))
            throw new UserError("the pretrained model " + id + " is damaged: SHA-256 " + got + ", expected " + sha256);
        return bytes;
    }

    /** Lower-case hex SHA-256 of {@code bytes}. */
    public static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e); // every JDK must provide it
        }
    }
}
