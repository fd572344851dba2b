package dev.panflow.io;

import dev.panflow.UserError;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** File plumbing shared by the formats: atomic writes and little-endian float transfers. */
final class IoUtil {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfFloat F32_LE = F32.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CHUNK = 1 << 20;

    private IoUtil() {}

    interface Body {
        void write(FileChannel ch) throws IOException;
    }

    /**
     * Writes {@code p + ".tmp"} in the same directory, forces it to disk, then renames it over
     * {@code p}: readers see the old file or the new one, never half of one.
     */
    static void writeAtomically(Path p, Body body) {
        Path name = p.getFileName();
        if (name == null) throw new UserError("cannot write to '" + p + "': not a file path");
        Path tmp = p.resolveSibling(name + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                body.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory(p);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UserError("cannot write " + p + ": " + reason(e), e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    /** Forces the rename itself to disk (the directory entry), so a power cut keeps the new file. */
    private static void syncDirectory(Path p) {
        Path dir = p.toAbsolutePath().getParent();
        if (dir == null) return;
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException notSupported) {
            // some file systems and platforms cannot open or sync a directory; the rename is still atomic
        }
    }

    private static void deleteQuietly(Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // the original error matters more
        }
    }

    /** One line saying why an I/O call failed, for a UserError. */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) return "no such file or directory";
        if (e instanceof AccessDeniedException) return "permission denied";
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** Opens a user's file for reading, turning a missing file into a UserError naming it. */
    static FileChannel openRead(Path p) {
        if (Files.isDirectory(p)) throw new UserError(p + " is a directory, not a file");
        // a device or pipe (/dev/zero, a FIFO) has no size and may never end
        if (Files.exists(p) && !Files.isRegularFile(p)) throw new UserError(p + " is not a regular file");
        try {
            return FileChannel.open(p, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new UserError("file not found: " + p);
        } catch (IOException e) {
            throw new UserError("cannot read " + p + ": " + reason(e), e);
        }
    }

    /** Writes all of {@code buf}. */
    static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }

    /** Reads exactly {@code buf.remaining()} bytes from {@code pos}; false at an early end of file. */
    static boolean readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) return false;
            pos += n;
        }
        return true;
    }

    /** Turns {@code n} little-endian float32 values in {@code seg} into native order, in place (a no-op on x86/ARM). */
    static void fromLittleEndian(MemorySegment seg, long n) {
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) return;
        for (long i = 0; i < n; i++) seg.setAtIndex(F32, i, seg.getAtIndex(F32_LE, i));
    }

    /** Writes {@code n} floats of {@code src} as little-endian float32, in bulk chunks. */
    static void writeFloatsLE(FileChannel ch, MemorySegment src, long n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(4, 4 * n)));
        MemorySegment view = MemorySegment.ofBuffer(buf);
        long per = buf.capacity() / 4;
        for (long i = 0; i < n; i += per) {
            long k = Math.min(per, n - i);
            MemorySegment.copy(src, F32, 4 * i, view, F32_LE, 0, k); // swaps bytes only on big-endian hosts
            buf.clear().limit((int) (4 * k));
            writeFully(ch, buf);
        }
    }
}
