package dev.panflow.serve;

import dev.panflow.api.Flow;
import dev.panflow.api.LoadOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loaded checkpoint as the server holds it: the {@link Flow}, the file's SHA-256, and a count
 * of the calls using it, so a reload can retire it and close it only when its last call is done.
 */
final class ServedModel {
    final Flow flow;
    final Path file;
    final String sha256;
    private final AtomicInteger users = new AtomicInteger(1); // 1 = held by the server until retired

    private ServedModel(Flow flow, Path file, String sha256) {
        this.flow = flow;
        this.file = file;
        this.sha256 = sha256;
    }

    /** Loads and checks a checkpoint; a bad file throws (the UserError names what is wrong). */
    static ServedModel load(Path file, LoadOptions options) {
        String hash = sha256(file);
        return new ServedModel(Flow.load(file, options), file, hash);
    }

    /** Takes a use; false if the model was retired meanwhile (take the current one again). */
    boolean retain() {
        for (int u; (u = users.get()) > 0; ) if (users.compareAndSet(u, u + 1)) return true;
        return false;
    }

    void release() {
        if (users.decrementAndGet() == 0) flow.close();
    }

    /** The server lets go of it: it closes once the calls using it are done. */
    void retire() { release(); }

    /** The file's SHA-256 in hex; a missing file is a UserError. */
    static String sha256(Path file) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            if (!Files.isRegularFile(file)) throw new dev.panflow.UserError("no model file at " + file);
            try (var in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                for (int r; (r = in.read(buf)) > 0; ) d.update(buf, 0, r);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
