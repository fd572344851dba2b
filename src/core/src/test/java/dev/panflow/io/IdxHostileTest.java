package dev.panflow.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IDX files that lie (like HostileInputTest for the other formats): each is refused with a
 * UserError naming the problem, before anything is allocated from its dimensions, plain and gzip'd.
 */
class IdxHostileTest {
    @TempDir Path dir;

    static String refused(String name, byte[] f) {
        return assertThrows(UserError.class, () -> Idx.read(ByteSource.of(name, f))).getMessage();
    }

    /** Refused plain and gzip'd, both messages containing {@code what}. */
    static void refusedBoth(byte[] f, String what) {
        String m = refused("x.idx", f);
        assertTrue(m.contains(what) && m.contains("x.idx"), m);
        m = refused("x.idx.gz", FuzzTargets.gzip(f));
        assertTrue(m.contains(what) && m.contains("x.idx.gz"), m);
    }

    static byte[] idx(int[] dims, byte[] data) { return IdxTest.idx(0x08, dims, data); }

    @Test
    void magicDtypeAndRank() {
        refusedBoth(new byte[0], "too short");
        refusedBoth(new byte[] {0, 0, 8}, "too short");
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 1, 1};
        refusedBoth(png, "magic starts 89 50");
        refusedBoth(new byte[] {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0}, "dtype 0d");   // float32 IDX
        refusedBoth(new byte[] {0, 0, 8, 0}, "rank 0 is not in [1, 4]");
        refusedBoth(idx(new int[] {1, 1, 1, 1, 1}, new byte[1]), "rank 5 is not in [1, 4]");
        refusedBoth(new byte[] {0, 0, 8, (byte) 255}, "rank 255");
    }

    @Test
    void truncatedAndLyingDimensions() {
        byte[] good = idx(new int[] {2, 3, 4}, new byte[24]);
        refusedBoth(Arrays.copyOf(good, 10), "truncated inside its IDX header: rank 3 needs 12 bytes of dimensions, there are 6");
        refusedBoth(Arrays.copyOf(good, good.length - 1), "truncated");
        refusedBoth(Arrays.copyOf(good, good.length + 1), "extra bytes");
        // Fashion-MNIST's header on 100 bytes of pixels: 47 MB declared
        String m = refused("x.idx", idx(new int[] {60000, 28, 28}, new byte[100]));
        assertTrue(m.contains("is truncated: its IDX dimensions [60000, 28, 28] need 47040000 data bytes after the 16-byte header, the file has 100"), m);
        refusedBoth(idx(new int[] {-1, 2}, new byte[0]), "dimension 0 is 4294967295");
        refusedBoth(idx(new int[] {5, Integer.MIN_VALUE}, new byte[0]), "dimension 1 is 2147483648");
    }

    @Test
    void dimensionsWhoseProductOverflows() {
        int max = Integer.MAX_VALUE;
        // (2^31 − 1)^4 overflows a long; 2^16 · 2^16 = 2^32 does not, but is past any array
        refusedBoth(idx(new int[] {max, max, max, max}, new byte[4]), "more than 2^31 − 17 elements");
        refusedBoth(idx(new int[] {65536, 65536}, new byte[4]), "[65536, 65536] have more than 2^31");
        refusedBoth(idx(new int[] {max}, new byte[4]), "have more than 2^31");
        // a zero dimension makes an empty array, whatever the others are
        Idx.Array a = Idx.read(ByteSource.of("e.idx", idx(new int[] {max, 0, max}, new byte[0])));
        assertArrayEquals(new int[] {max, 0, max}, a.dims());
        assertTrue(a.data().length == 0);
    }

    /** A small gzip file that says, or really does, decompress to far more than it should. */
    @Test
    void gzipBombs() throws IOException {
        // 1. the header claims 1 GiB; 64 KB of zeros behind it compress to ~100 bytes: refused from the sizes alone
        byte[] claim = gzip(idx(new int[] {1 << 15, 1 << 15}, new byte[0]), 1 << 16);
        String m = refused("b.gz", claim);
        assertTrue(m.contains("b.gz is truncated: its IDX dimensions [32768, 32768] need 1073741824 data bytes, more than a "
                + claim.length + "-byte gzip file can hold (deflate expands at most 1032:1)"), m);
        // 2. an honest-looking 100-byte header, then 256 MiB of zeros (~250 KB compressed): refused after
        //    reading one byte past the 100, not after inflating 256 MiB
        byte[] bomb = gzip(idx(new int[] {10, 10}, new byte[100]), 256 << 20);
        assertTrue(bomb.length < 400_000, "bomb is " + bomb.length + " bytes");
        m = refused("bomb.gz", bomb);
        assertTrue(m.contains("has extra bytes: the decompressed stream goes on after the 100 data bytes"), m);
        // 3. more than the 1 GiB limit, in a file big enough that deflate could hold it (random bytes do not compress)
        byte[] rnd = new byte[(int) (Idx.MAX_GZIP_DATA / Idx.DEFLATE_MAX_RATIO) + 4096];
        new SplittableRandom(7).nextBytes(rnd);
        byte[] big = FuzzTargets.gzip(concat(idx(new int[] {(int) Idx.MAX_GZIP_DATA + 1}, new byte[0]), rnd));
        m = refused("big.gz", big);
        assertTrue(m.contains("need 1073741825 data bytes, more than the limit of 1073741824 (1 GiB) for a gzip'd IDX file"), m);
        // 4. damaged compressed data and a wrong CRC
        byte[] z = FuzzTargets.gzip(idx(new int[] {64}, IdxTest.ramp(64)));
        byte[] cut = Arrays.copyOf(z, z.length - 12);
        assertTrue(refused("cut.gz", cut).contains("corrupt or truncated gzip stream"));
        byte[] crc = z.clone();
        crc[crc.length - 6] ^= 1;
        assertTrue(refused("crc.gz", crc).contains("corrupt or truncated gzip stream"));
    }

    @Test
    void filesDirectoriesAndDevices() throws IOException {
        Path p = dir.resolve("short.idx");
        Files.write(p, idx(new int[] {60000, 28, 28}, new byte[100]));
        assertTrue(assertThrows(UserError.class, () -> Idx.read(p)).getMessage().contains("is truncated"));
        assertTrue(assertThrows(UserError.class, () -> Idx.read(dir)).getMessage().contains("is a directory"));
        assertTrue(assertThrows(UserError.class, () -> Idx.read(dir.resolve("nope.gz"))).getMessage().contains("not found"));
        Path dev = Path.of("/dev/zero");
        if (Files.exists(dev)) assertTrue(assertThrows(UserError.class, () -> Idx.read(dev)).getMessage().contains("not a regular file"));
    }

    /** {@code raw} followed by {@code zeros} zero bytes, gzip'd as a stream (never held whole). */
    static byte[] gzip(byte[] raw, int zeros) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(bo, 1 << 16)) {
            z.write(raw);
            byte[] block = new byte[1 << 16];
            for (int left = zeros; left > 0; left -= block.length) z.write(block, 0, Math.min(left, block.length));
        }
        return bo.toByteArray();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
