package dev.panflow.io;

import dev.panflow.UserError;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reader for the IDX format of (Fashion-)MNIST, plain or gzip-compressed: magic 0x00 0x00, a
 * dtype byte (0x08 = unsigned byte, the only one read here), a rank byte (1…4 here), rank
 * big-endian int32 dimensions, then the data, row-major.
 *
 * <p>Read through {@link ByteSource}, like the other parsers: every range is checked against the
 * file's size and nothing is allocated from the dimensions alone. A plain file must hold exactly
 * the bytes its dimensions declare, checked before the array is allocated. A gzip stream (magic
 * 1f 8b) is bounded three ways: the declared bytes must fit in what the compressed size can
 * expand to (deflate expands at most 1032:1), must be at most {@link #MAX_GZIP_DATA}, and are read
 * into a buffer that grows only with the bytes actually decompressed; the stream must end exactly
 * there (one byte past them is read to check, so a small header in front of a bomb costs nothing).
 */
public final class Idx {
    public static final int UBYTE = 0x08;
    static final int MAX_RANK = 4;
    /** Elements of one Java array (the JDK reserves a few words of its maximum). */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 16;
    /** Most data bytes a gzip'd IDX file may decompress to (Fashion-MNIST's largest has 47 MB). */
    public static final long MAX_GZIP_DATA = 1L << 30;
    /** Deflate's largest expansion: a 258-byte match coded in 2 bits; gzip's framing only lowers it. */
    static final long DEFLATE_MAX_RATIO = 1032;

    private Idx() {}

    /** An unsigned-byte IDX array: dimensions and row-major data (values 0…255 as bytes). */
    public record Array(int[] dims, byte[] data) {
        public int dim(int d) { return dims[d]; }
        public int at(long i) { return data[(int) i] & 0xff; }
    }

    /** Reads a plain or gzip'd ({@code .gz}, told by its magic) IDX file of unsigned bytes. */
    public static Array read(Path p) {
        try (FileChannel ch = IoUtil.openRead(p)) {
            return read(ByteSource.of(p.toString(), ch));
        } catch (IOException e) {
            throw new UserError("cannot read " + p + ": " + IoUtil.reason(e), e);
        }
    }

    static Array read(ByteSource src) {
        long size = src.size();
        if (size >= 2) {
            var m = src.bytes(0, 2);
            if (m.get(0) == 0x1f && m.get(1) == (byte) 0x8b) return readGzip(src);
        }
        return readPlain(src);
    }

    private static Array readPlain(ByteSource src) {
        String p = src.name;
        long size = src.size();
        InputStream in = src.stream();
        Header h;
        try {
            h = header(p, in);
        } catch (IOException impossible) {
            throw new UserError("cannot read " + p + ": " + IoUtil.reason(impossible), impossible);
        }
        long have = size - h.bytes();
        if (have != h.count)
            throw new UserError(p + (have < h.count ? " is truncated" : " has extra bytes") + ": its IDX dimensions "
                    + Arrays.toString(h.dims) + " need " + h.count + " data bytes after the " + h.bytes()
                    + "-byte header, the file has " + have);
        byte[] data = new byte[(int) h.count];
        src.read(h.bytes(), MemorySegment.ofArray(data));
        return new Array(h.dims, data);
    }

    private static Array readGzip(ByteSource src) {
        String p = src.name;
        long size = src.size();
        try (InputStream in = new GZIPInputStream(src.stream(), 1 << 16)) {
            Header h = header(p, in);
            long canHold = size > Long.MAX_VALUE / DEFLATE_MAX_RATIO ? Long.MAX_VALUE : DEFLATE_MAX_RATIO * size;
            if (h.bytes() + h.count > canHold)
                throw new UserError(p + " is truncated: its IDX dimensions " + Arrays.toString(h.dims) + " need " + h.count
                        + " data bytes, more than a " + size + "-byte gzip file can hold (deflate expands at most "
                        + DEFLATE_MAX_RATIO + ":1)");
            if (h.count > MAX_GZIP_DATA)
                throw new UserError(p + ": its IDX dimensions " + Arrays.toString(h.dims) + " need " + h.count
                        + " data bytes, more than the limit of " + MAX_GZIP_DATA + " (1 GiB) for a gzip'd IDX file;"
                        + " decompress it (gunzip) and read the plain file");
            // Grow with the bytes actually decompressed, never to the declared size up front.
            byte[] data = new byte[(int) Math.min(h.count, 1 << 16)];
            int n = 0;
            while (n < h.count) {
                if (n == data.length) data = Arrays.copyOf(data, (int) Math.min(h.count, 2L * data.length));
                int r = in.read(data, n, data.length - n);
                if (r < 0) break;
                n += r;
            }
            if (n < h.count)
                throw new UserError(p + " is truncated: its IDX dimensions " + Arrays.toString(h.dims) + " need " + h.count
                        + " data bytes, the decompressed stream has " + n);
            if (in.read() >= 0)
                throw new UserError(p + " has extra bytes: the decompressed stream goes on after the " + h.count
                        + " data bytes its IDX dimensions " + Arrays.toString(h.dims) + " declare");
            return new Array(h.dims, data);
        } catch (ZipException | EOFException e) {
            throw new UserError(p + ": corrupt or truncated gzip stream (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new UserError("cannot read " + p + ": " + IoUtil.reason(e), e);
        }
    }

    /** The dimensions and their element count (≤ {@link #MAX_ELEMENTS}). */
    private record Header(int[] dims, long count) {
        long bytes() { return 4 + 4L * dims.length; }
    }

    private static Header header(String p, InputStream in) throws IOException {
        byte[] head = new byte[4];
        int got = readUpTo(in, head, 4);
        if (got < 4)
            throw new UserError(p + " is too short to be an IDX file (" + got + " bytes, no 4-byte magic, dtype and rank)");
        if (head[0] != 0 || head[1] != 0)
            throw new UserError(p + " is not an IDX file (magic starts " + hex(head[0]) + " " + hex(head[1]) + ", expected 00 00)");
        int dtype = head[2] & 0xff, rank = head[3] & 0xff;
        if (dtype != UBYTE)
            throw new UserError(p + ": unsupported IDX dtype " + hex(head[2]) + " (Panflow reads unsigned bytes, 0x08)");
        if (rank < 1 || rank > MAX_RANK) throw new UserError(p + ": IDX rank " + rank + " is not in [1, " + MAX_RANK + "]");
        byte[] dimBytes = new byte[4 * rank];
        got = readUpTo(in, dimBytes, dimBytes.length);
        if (got < dimBytes.length)
            throw new UserError(p + " is truncated inside its IDX header: rank " + rank + " needs " + dimBytes.length
                    + " bytes of dimensions, there are " + got);
        int[] dims = new int[rank];
        boolean empty = false;
        for (int d = 0; d < rank; d++) {
            int v = ((dimBytes[4 * d] & 0xff) << 24) | ((dimBytes[4 * d + 1] & 0xff) << 16)
                    | ((dimBytes[4 * d + 2] & 0xff) << 8) | (dimBytes[4 * d + 3] & 0xff);
            if (v < 0)
                throw new UserError(p + ": IDX dimension " + d + " is " + Integer.toUnsignedString(v)
                        + " (negative as a signed int32)");
            dims[d] = v;
            empty |= v == 0;
        }
        long count = 1;
        if (empty) {
            count = 0;
        } else {
            for (int v : dims) {
                count *= v; // both factors ≤ 2^31: no overflow
                if (count > MAX_ELEMENTS)
                    throw new UserError(p + ": IDX dimensions " + Arrays.toString(dims) + " have more than 2^31 − 17 elements, the most one array holds");
            }
        }
        return new Header(dims, count);
    }

    private static int readUpTo(InputStream in, byte[] b, int len) throws IOException {
        int n = 0;
        while (n < len) {
            int r = in.read(b, n, len - n);
            if (r < 0) break;
            n += r;
        }
        return n;
    }

    private static String hex(byte b) { return String.format("%02x", b & 0xff); }
}
