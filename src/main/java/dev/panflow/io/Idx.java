package dev.panflow.io;

import dev.panflow.UserError;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reader for the IDX format of (Fashion-)MNIST, plain or gzip-compressed: magic 0x00 0x00, a
 * dtype byte (0x08 = unsigned byte, the only one read here), a rank byte, rank big-endian int32
 * dimensions, then the data. Everything is checked against the file; the declared length never
 * decides an allocation on its own (a plain file must hold it exactly; a gzip stream is read in
 * growing chunks and must end exactly there).
 */
public final class Idx {
    public static final int UBYTE = 0x08;
    private static final int MAX_RANK = 4;

    private Idx() {}

    /** An unsigned-byte IDX array: dimensions and row-major data (values 0…255 as bytes). */
    public record Array(int[] dims, byte[] data) {
        public int dim(int d) { return dims[d]; }
        public int at(long i) { return data[(int) i] & 0xff; }
    }

    public static Array read(Path p) {
        if (!Files.isRegularFile(p)) {
            if (Files.isDirectory(p)) throw new UserError(p + " is a directory, not an IDX file");
            throw new UserError("IDX file not found: " + p);
        }
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(p), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            boolean gz = b0 == 0x1f && b1 == 0x8b;
            long fileSize = Files.size(p);
            try (InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : raw) {
                return parse(p, in, gz ? -1 : fileSize);
            }
        } catch (NoSuchFileException e) {
            throw new UserError("IDX file not found: " + p);
        } catch (ZipException | java.io.EOFException e) {
            throw new UserError(p + ": corrupt gzip stream (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new UserError("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    /** {@code plainSize}: the file's size when uncompressed, or −1 for a gzip stream. */
    private static Array parse(Path p, InputStream in, long plainSize) throws IOException {
        byte[] head = new byte[4];
        if (readUpTo(in, head, 0, 4) < 4) throw new UserError(p + " is too short to be an IDX file (no 4-byte magic)");
        if (head[0] != 0 || head[1] != 0)
            throw new UserError(p + " is not an IDX file (magic starts " + hex(head[0]) + " " + hex(head[1]) + ", expected 00 00)");
        int dtype = head[2] & 0xff, rank = head[3] & 0xff;
        if (dtype != UBYTE)
            throw new UserError(p + ": unsupported IDX dtype " + hex(head[2]) + " (Panflow reads unsigned bytes, 0x08)");
        if (rank < 1 || rank > MAX_RANK) throw new UserError(p + ": IDX rank " + rank + " is not in [1, " + MAX_RANK + "]");
        byte[] dimBytes = new byte[4 * rank];
        if (readUpTo(in, dimBytes, 0, dimBytes.length) < dimBytes.length)
            throw new UserError(p + " is truncated inside its IDX header (" + rank + " dimensions declared)");
        int[] dims = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++) {
            int v = ((dimBytes[4 * d] & 0xff) << 24) | ((dimBytes[4 * d + 1] & 0xff) << 16)
                    | ((dimBytes[4 * d + 2] & 0xff) << 8) | (dimBytes[4 * d + 3] & 0xff);
            if (v < 0) throw new UserError(p + ": IDX dimension " + d + " is negative (" + Integer.toUnsignedString(v) + ")");
            dims[d] = v;
            count *= v;
            if (count > Integer.MAX_VALUE - 16)
                throw new UserError(p + ": IDX dimensions " + Arrays.toString(dims) + " exceed 2^31 elements");
        }
        long headerBytes = 4 + 4L * rank;
        if (plainSize >= 0) {
            long have = plainSize - headerBytes;
            if (have != count)
                throw new UserError(p + (have < count ? " is truncated" : " has extra bytes") + ": IDX dimensions "
                        + Arrays.toString(dims) + " need " + count + " data bytes, the file has " + have);
            byte[] data = new byte[(int) count];
            if (readUpTo(in, data, 0, data.length) < data.length) throw new UserError(p + " is truncated");
            return new Array(dims, data);
        }
        // gzip: grow the buffer with the bytes actually decompressed, never to the declared size up front.
        byte[] data = new byte[(int) Math.min(count, 1 << 20)];
        int n = 0;
        while (n < count) {
            if (n == data.length) data = Arrays.copyOf(data, (int) Math.min(count, 2L * data.length));
            int r = in.read(data, n, data.length - n);
            if (r < 0) break;
            n += r;
        }
        if (n < count)
            throw new UserError(p + " is truncated: IDX dimensions " + Arrays.toString(dims) + " need " + count
                    + " data bytes, the decompressed stream has " + n);
        if (in.read() >= 0)
            throw new UserError(p + " has extra bytes after the " + count + " data bytes its IDX dimensions " + Arrays.toString(dims) + " declare");
        return new Array(dims, data);
    }

    private static int readUpTo(InputStream in, byte[] b, int off, int len) throws IOException {
        int n = 0;
        while (n < len) {
            int r = in.read(b, off + n, len - n);
            if (r < 0) break;
            n += r;
        }
        return n;
    }

    private static String hex(byte b) { return String.format("%02x", b & 0xff); }
}
