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
 * A loaded model as the server holds it: the {@link Flow}, where it came from, its bytes' SHA-256,
 * and a count of the calls using it, so a reload can retire it and close it only when its last
 * call is done.
 */
final class ServedModel {
    final Flow flow;
    final ModelOrigin origin;
    final String sha256;
    private final AtomicInteger users = new AtomicInteger(1); // 1 = held by the server until retired

    private ServedModel(Flow flow, ModelOrigin origin, String sha256) {
        this.flow = flow;
        this.origin = origin;
        this.sha256 = sha256;
    }

    /** Loads and checks a model; a bad file throws (the UserError names what is wrong). */
    static ServedModel load(ModelOrigin origin, LoadOptions options) {
        return switch (origin) {
            case ModelOrigin.File f -> {
                String hash = sha256(f.path()); // before loading: a missing file is named as such
                yield new ServedModel(Flow.load(f.path(), options), origin, hash);
            }
            // Flow.loadPretrained checks the bytes against this hash before it builds anything.
            case ModelOrigin.Shipped s -> new ServedModel(Flow.loadPretrained(s.model().id(), options), origin, s.model().sha256());
        };
    }

    /** The checkpoint file, or null for a pretrained model (it has none to re-read). */
    Path file() { return origin instanceof ModelOrigin.File f ? f.path() : null; }

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
