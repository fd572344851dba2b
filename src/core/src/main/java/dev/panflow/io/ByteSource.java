package dev.panflow.io;

import dev.panflow.UserError;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;

/**
 * The bytes of one input, read by position with every range checked against {@link #size()}:
 * a parser never maps or indexes past the end, whatever a length field in the file claims.
 * Files are read with {@code FileChannel.read} (no mmap: a file truncated while being read is a
 * short read, a clear error, never a SIGBUS); arrays back the fuzz tests.
 */
abstract class ByteSource {
    /** What to call the input in messages (a path). */
    final String name;

    private ByteSource(String name) { this.name = name; }

    abstract long size();

    /** Copies bytes [pos, pos + dst.byteSize()) into {@code dst}; a UserError if they are not all there. */
    final void read(long pos, MemorySegment dst) {
        long n = dst.byteSize();
        if (pos < 0 || n < 0 || pos > size() || n > size() - pos)
            throw new UserError(name + " is truncated: needs bytes [" + pos + ", " + (pos + n) + ") of a " + size() + "-byte file");
        readChecked(pos, dst);
    }

    /** Bytes [pos, pos + n) as a heap buffer (n small: headers). */
    final ByteBuffer bytes(long pos, int n) {
        byte[] b = new byte[n];
        read(pos, MemorySegment.ofArray(b));
        return ByteBuffer.wrap(b);
    }

    abstract void readChecked(long pos, MemorySegment dst);

    /**
     * All bytes in order as a stream (for a decompressor): each read is a checked {@link #read}
     * of what is left, so the stream ends at {@link #size()} whatever the data claims.
     */
    final InputStream stream() {
        return new InputStream() {
            private long pos;

            @Override public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override public int read(byte[] b, int off, int len) {
                Objects.checkFromIndexSize(off, len, b.length);
                if (len == 0) return 0;
                long left = size() - pos;
                if (left <= 0) return -1;
                int n = (int) Math.min(len, left);
                ByteSource.this.read(pos, MemorySegment.ofArray(b).asSlice(off, n));
                pos += n;
                return n;
            }

            @Override public long skip(long k) {
                long n = Math.max(0, Math.min(k, size() - pos));
                pos += n;
                return n;
            }

            @Override public int available() { return (int) Math.min(Integer.MAX_VALUE, size() - pos); }
        };
    }

    static ByteSource of(String name, byte[] bytes) {
        MemorySegment all = MemorySegment.ofArray(bytes);
        return new ByteSource(name) {
            @Override long size() { return bytes.length; }
            @Override void readChecked(long pos, MemorySegment dst) {
                MemorySegment.copy(all, pos, dst, 0, dst.byteSize());
            }
        };
    }

    static ByteSource of(String name, FileChannel ch) throws IOException {
        long size = ch.size();
        return new ByteSource(name) {
            @Override long size() { return size; }
            @Override void readChecked(long pos, MemorySegment dst) {
                long n = dst.byteSize();
                try {
                    for (long done = 0; done < n; ) {
                        int chunk = (int) Math.min(n - done, 1 << 26);
                        ByteBuffer buf = dst.asSlice(done, chunk).asByteBuffer();
                        while (buf.hasRemaining()) {
                            int r = ch.read(buf, pos + done + buf.position());
                            if (r < 0) throw new UserError(name + " shrank while being read (was " + size + " bytes)");
                        }
                        done += chunk;
                    }
                } catch (IOException e) {
                    throw new UserError("cannot read " + name + ": " + IoUtil.reason(e), e);
                }
            }
        };
    }
}
