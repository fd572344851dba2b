package dev.panflow.io;

import dev.panflow.UserError;
import dev.panflow.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors checkpoint format: 8-byte little-endian header length N, N bytes of UTF-8
 * JSON {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}, …}
 * padded with spaces to a multiple of 8, then the raw little-endian data; offsets count from
 * the start of the data. Panflow writes and reads F32 only.
 */
public final class Safetensors {
    /** The reference implementation's limit on the header size. */
    public static final long MAX_HEADER = 100L * 1000 * 1000;
    /** JSON values allowed in a header: bounds the heap a hostile header can take (~100 per tensor is plenty). */
    static final int MAX_JSON_VALUES = 4_000_000;
    private static final String META = "__metadata__";

    private Safetensors() {}

    /**
     * Writes {@code tensors} in the map's iteration order to {@code p + ".tmp"}, forces it to
     * disk and renames it over {@code p}: a crash never leaves a half-written checkpoint at p.
     */
    public static void write(Path p, Map<String, Tensor> tensors, Map<String, String> metadata) {
        StringBuilder h = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            h.append(Json.quote(META)).append(":{");
            boolean firstMeta = true;
            for (var e : metadata.entrySet()) {
                if (!firstMeta) h.append(',');
                firstMeta = false;
                h.append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
            }
            h.append('}');
        }
        long offset = 0;
        boolean first = metadata == null || metadata.isEmpty();
        List<Tensor> order = new ArrayList<>(tensors.size());
        for (var e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name.equals(META)) throw new IllegalArgumentException("'" + META + "' cannot name a tensor");
            if (!first) h.append(',');
            first = false;
            h.append(Json.quote(name)).append(":{\"dtype\":\"F32\",\"shape\":[");
            int[] shape = t.shape();
            for (int d = 0; d < shape.length; d++) h.append(d > 0 ? "," : "").append(shape[d]);
            long end = offset + 4 * t.size();
            h.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
            order.add(t);
        }
        h.append('}');
        byte[] json = h.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7; // spaces up to a multiple of 8: data starts 8-aligned
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();
        IoUtil.writeAtomically(p, ch -> {
            IoUtil.writeFully(ch, head);
            for (Tensor t : order) IoUtil.writeFloatsLE(ch, t.segment(), t.size());
        });
    }

    /** Reads every tensor of an F32 safetensors file into {@code arena}, validating the header. */
    public static SafetensorsFile read(Path p, Arena arena) {
        try (FileChannel ch = IoUtil.openRead(p)) {
            return read(ByteSource.of(p.toString(), ch), arena);
        } catch (IOException e) {
            throw new UserError("cannot read " + p + ": " + IoUtil.reason(e), e);
        }
    }

    /** The same from bytes in memory ({@code name} names them in messages). */
    public static SafetensorsFile read(String name, byte[] bytes, Arena arena) {
        return read(ByteSource.of(name, bytes), arena);
    }

    private record Entry(String name, int[] shape, long begin, long end) {}

    /**
     * Parses and copies out a whole file. Every length and offset is checked against the file's
     * size before anything is allocated; tensors may not overlap (holes are tolerated). Nothing is
     * allocated in {@code arena} unless all checks pass.
     */
    static SafetensorsFile read(ByteSource src, Arena arena) {
        long size = src.size();
        if (size < 8) throw bad(src, "the file is " + size + " bytes, shorter than the 8-byte header length");
        long n = src.bytes(0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (n >= 0 && n < 2) throw bad(src, "header length " + n + " is too small for a JSON object");
        if (n < 0 || n > size - 8)
            throw bad(src, "header length " + Long.toUnsignedString(n) + " does not fit in a file of " + size + " bytes");
        if (n > MAX_HEADER) throw bad(src, "header length " + n + " is over the " + MAX_HEADER + "-byte limit");
        ByteBuffer hb = src.bytes(8, (int) n);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(hb).toString();
        } catch (CharacterCodingException e) {
            throw bad(src, "the header is not valid UTF-8");
        }
        Object root;
        try {
            root = Json.parse(text, MAX_JSON_VALUES);
        } catch (Json.ParseException e) {
            throw bad(src, "the header is not valid JSON (" + e.getMessage() + ")");
        }
        if (!(root instanceof Map<?, ?> top)) throw bad(src, "the header is not a JSON object");

        long dataStart = 8 + n, dataLen = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (var e : top.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals(META)) {
                if (!(e.getValue() instanceof Map<?, ?> m)) throw bad(src, "__metadata__ is not an object");
                for (var me : m.entrySet()) {
                    if (!(me.getValue() instanceof String v)) throw bad(src, "__metadata__ value for '" + me.getKey() + "' is not a string");
                    metadata.put((String) me.getKey(), v);
                }
                continue;
            }
            entries.add(entry(src, name, e.getValue(), dataLen));
        }
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long prevEnd = 0;
        String prevName = null;
        for (Entry en : entries) {
            if (en.begin < prevEnd)
                throw bad(src, "tensor '" + en.name + "' [" + en.begin + ", " + en.end + ") overlaps tensor '" + prevName + "' ending at " + prevEnd);
            prevEnd = en.end;
            prevName = en.name;
        }

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry en : entries) {
            Tensor t = Tensor.allocate(arena, en.shape);
            if (en.end > en.begin) {
                src.read(dataStart + en.begin, t.segment());
                IoUtil.fromLittleEndian(t.segment(), t.size());
            }
            tensors.put(en.name, t);
        }
        return new SafetensorsFile(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static Entry entry(ByteSource p, String name, Object value, long dataLen) {
        if (!(value instanceof Map<?, ?> m)) throw bad(p, "entry '" + name + "' is not an object");
        if (!(m.get("dtype") instanceof String dtype)) throw bad(p, "tensor '" + name + "' has no string dtype");
        if (!dtype.equals("F32"))
            throw bad(p, "tensor '" + name + "' has dtype " + dtype + "; Panflow reads only F32");
        if (!(m.get("shape") instanceof List<?> shapeList)) throw bad(p, "tensor '" + name + "' has no shape array");
        if (shapeList.size() > 8) throw bad(p, "tensor '" + name + "' has rank " + shapeList.size() + " (at most 8)");
        int[] shape = new int[shapeList.size()];
        long count = 1;
        for (int d = 0; d < shape.length; d++) {
            if (!(shapeList.get(d) instanceof Long v) || v < 0 || v > Integer.MAX_VALUE)
                throw bad(p, "tensor '" + name + "' has a bad shape " + shapeList);
            shape[d] = (int) (long) v;
            try {
                count = Math.multiplyExact(count, v);
            } catch (ArithmeticException e) {
                count = Long.MAX_VALUE;
            }
        }
        if (count > Long.MAX_VALUE / 4 || count > Integer.MAX_VALUE) {
            throw bad(p, "tensor '" + name + "' shape " + shapeList + " is too large");
        }
        if (!(m.get("data_offsets") instanceof List<?> off) || off.size() != 2
                || !(off.get(0) instanceof Long begin) || !(off.get(1) instanceof Long end))
            throw bad(p, "tensor '" + name + "' needs data_offsets [begin, end] as two integers");
        if (begin < 0 || end < begin) throw bad(p, "tensor '" + name + "' has bad data_offsets [" + begin + ", " + end + "]");
        if (end > dataLen)
            throw bad(p, "tensor '" + name + "' data_offsets [" + begin + ", " + end + "] run past the end of the data (" + dataLen + " bytes)");
        if (4 * count != end - begin)
            throw bad(p, "tensor '" + name + "' has shape " + shapeList + " (" + 4 * count + " bytes of F32) but data_offsets span " + (end - begin) + " bytes");
        return new Entry(name, shape, begin, end);
    }

    private static UserError bad(ByteSource src, String what) {
        return new UserError(src.name + " is not a valid safetensors file: " + what);
    }
}
