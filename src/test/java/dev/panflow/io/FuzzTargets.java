package dev.panflow.io;

import dev.panflow.UserError;
import dev.panflow.tensor.Tensor;
import java.io.ByteArrayInputStream;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;

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
}
