package dev.panflow.io;

import dev.panflow.UserError;
import dev.panflow.tensor.Tensor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

/**
 * The fuzz targets' bodies: any bytes either parse into something consistent with the input's
 * size or are refused with a UserError (Json.ParseException for JSON). Any other exception or
 * error (IndexOutOfBounds, NegativeArraySize, OutOfMemory, a failed check here) is a finding.
 */
public final class FuzzTargets {
    private FuzzTargets() {}

    public static void npy(byte[] input, FuzzStats stats) {
        try (Arena a = Arena.ofConfined()) {
            Tensor t = Npy.read(ByteSource.of("fuzz.npy", input), a);
            if (t.rank() != 2 || t.size() > input.length / 4) throw new AssertionError("impossible tensor " + t);
            stats.count(true);
        } catch (UserError expected) {
            stats.count(false);
        }
    }

    public static void safetensors(byte[] input, FuzzStats stats) {
        try (Arena a = Arena.ofConfined()) {
            SafetensorsFile f = Safetensors.read("fuzz.safetensors", input, a);
            long floats = 0;
            for (Tensor t : f.tensors().values()) floats += t.size();
            if (4 * floats > input.length) throw new AssertionError(floats + " floats from " + input.length + " bytes");
            stats.count(true);
        } catch (UserError expected) {
            stats.count(false);
        }
    }

    /** CSV as training data is read: finite values only. */
    public static void csv(byte[] input, FuzzStats stats) {
        try (Arena a = Arena.ofConfined()) {
            Tensor t = Csv.read("fuzz.csv", new ByteArrayInputStream(input), a, true);
            for (long i = 0; i < t.size(); i++)
                if (!Float.isFinite(t.get(i))) throw new AssertionError("non-finite value let through at " + i);
            stats.count(true);
        } catch (UserError expected) {
            stats.count(false);
        }
    }

    /** Any text: a value or a ParseException; and quote() always round-trips. */
    public static void json(byte[] input, FuzzStats stats) {
        String text = new String(input, StandardCharsets.UTF_8);
        try {
            Json.parse(text, Safetensors.MAX_JSON_VALUES);
            stats.count(true);
        } catch (Json.ParseException expected) {
            stats.count(false);
        }
        if (!text.equals(Json.parse(Json.quote(text)))) throw new AssertionError("quote/parse changed " + text);
    }

    /**
     * IDX as {@code --data fashion-mnist} reads it: an accepted array has rank 1…4, exactly the
     * elements its dimensions multiply to, and (plain) exactly the input's bytes after the header,
     * or (gzip) no more than the input can expand to. Then the same bytes gzip'd must read the
     * same way (accepted with equal dims and data, or refused): the gzip path sees every mutation
     * of the plain format, which mutated gzip streams (CRC-checked) rarely reach.
     */
    public static void idx(byte[] input, FuzzStats stats) {
        Idx.Array a = idxOrNull("fuzz.idx", input);
        stats.count(a != null);
        boolean gz = input.length >= 2 && input[0] == 0x1f && input[1] == (byte) 0x8b;
        if (a != null) {
            int[] dims = a.dims();
            if (dims.length < 1 || dims.length > Idx.MAX_RANK) throw new AssertionError("rank " + dims.length);
            long count = 1;
            for (int d : dims) {
                if (d < 0) throw new AssertionError("negative dimension in " + Arrays.toString(dims));
                count *= d;
            }
            if (count != a.data().length) throw new AssertionError(Arrays.toString(dims) + " but " + a.data().length + " bytes");
            if (gz) {
                if (a.data().length > Idx.DEFLATE_MAX_RATIO * input.length)
                    throw new AssertionError(a.data().length + " bytes from a " + input.length + "-byte gzip input");
            } else {
                int header = 4 + 4 * dims.length;
                if (!Arrays.equals(a.data(), Arrays.copyOfRange(input, header, input.length)))
                    throw new AssertionError("data is not the bytes after the header");
            }
        }
        if (!gz) {
            Idx.Array z = idxOrNull("fuzz.idx.gz", gzip(input));
            if ((a == null) != (z == null))
                throw new AssertionError("plain " + (a == null ? "refused" : "accepted") + ", gzip'd " + (z == null ? "refused" : "accepted"));
            if (a != null && !(Arrays.equals(a.dims(), z.dims()) && Arrays.equals(a.data(), z.data())))
                throw new AssertionError("plain and gzip'd reads differ");
        }
    }

    private static Idx.Array idxOrNull(String name, byte[] input) {
        try {
            return Idx.read(ByteSource.of(name, input));
        } catch (UserError expected) {
            return null;
        }
    }

    static byte[] gzip(byte[] raw) {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(bo)) {
            z.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bo.toByteArray();
    }
}
