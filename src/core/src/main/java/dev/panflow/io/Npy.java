package dev.panflow.io;

import dev.panflow.UserError;
import dev.panflow.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * numpy's {@code .npy} format: magic {@code \x93NUMPY}, version (major, minor), header length
 * (2 bytes little-endian in v1, 4 in v2/v3), a Python dict literal with 'descr',
 * 'fortran_order' and 'shape', padded so the data starts on a 64-byte boundary, then the data.
 * Reads little-endian float32/float64 C-order 2-D arrays; writes float32 v1.0.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy itself refuses headers above 10 000 bytes by default; allow more, but bounded. */
    private static final int MAX_HEADER = 1 << 20;

    private Npy() {}

    /** Reads a rows × dim array of '<f4' or '<f8' (converted to float32) into {@code arena}. */
    public static Tensor read(Path p, Arena arena) {
        try (FileChannel ch = IoUtil.openRead(p)) {
            return read(ByteSource.of(p.toString(), ch), arena);
        } catch (IOException e) {
            throw new UserError("cannot read " + p + ": " + IoUtil.reason(e), e);
        }
    }

    /**
     * Parses magic, version, header length and header dict, and checks that shape × item size is
     * exactly the bytes after the header, before allocating the tensor.
     */
    static Tensor read(ByteSource src, Arena arena) {
        String p = src.name;
        long size = src.size();
        if (size < 10) throw new UserError(p + " is not a .npy file (" + size + " bytes, shorter than the 10-byte preamble)");
        ByteBuffer pre = src.bytes(0, (int) Math.min(12, size)).order(ByteOrder.LITTLE_ENDIAN);
        if (!startsWithMagic(pre))
            throw new UserError(p + " is not a .npy file (no \\x93NUMPY magic at the start)");
        int major = pre.get(6) & 0xFF, minor = pre.get(7) & 0xFF;
        long headerLen, dataStart;
        if (major == 1) {
            headerLen = pre.getShort(8) & 0xFFFF;
            dataStart = 10 + headerLen;
        } else if (major == 2 || major == 3) {
            if (pre.limit() < 12) throw new UserError(p + " is truncated inside the .npy preamble");
            headerLen = pre.getInt(8) & 0xFFFFFFFFL;
            dataStart = 12 + headerLen;
        } else {
            throw new UserError(p + ": unsupported .npy version " + major + "." + minor + " (Panflow reads 1.0, 2.0 and 3.0)");
        }
        if (minor != 0) throw new UserError(p + ": unsupported .npy version " + major + "." + minor + " (Panflow reads 1.0, 2.0 and 3.0)");
        if (dataStart > size)
            throw new UserError(p + " is truncated: the .npy header says it is " + headerLen + " bytes, the file has only " + size + " bytes");
        if (headerLen > MAX_HEADER) throw new UserError(p + ": .npy header of " + headerLen + " bytes is too large (limit " + MAX_HEADER + ")");
        ByteBuffer hb = src.bytes(dataStart - headerLen, (int) headerLen);
        // v1 and v2 headers are latin-1, v3 is UTF-8.
        String header = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

        Map<String, Object> dict;
        try {
            Object v = new PyLiteral(header).parseAll();
            if (!(v instanceof Map<?, ?> m)) throw new IllegalArgumentException("the header is not a dict");
            @SuppressWarnings("unchecked") Map<String, Object> mm = (Map<String, Object>) m;
            dict = mm;
        } catch (IllegalArgumentException e) {
            throw new UserError(p + ": malformed .npy header (" + e.getMessage() + "): " + shorten(header));
        }
        for (String k : List.of("descr", "fortran_order", "shape"))
            if (!dict.containsKey(k)) throw new UserError(p + ": .npy header has no '" + k + "': " + shorten(header));
        if (!(dict.get("descr") instanceof String descr))
            throw new UserError(p + ": unsupported dtype " + dict.get("descr") + " (structured arrays are not supported; Panflow reads '<f4' or '<f8')");
        int itemSize = switch (descr) {
            case "<f4" -> 4;
            case "<f8" -> 8;
            default -> throw new UserError(p + ": unsupported dtype '" + descr + "' (Panflow reads little-endian float32 '<f4' or float64 '<f8')");
        };
        if (!(dict.get("fortran_order") instanceof Boolean fortran))
            throw new UserError(p + ": .npy header has a non-boolean fortran_order");
        if (fortran)
            throw new UserError(p + " is stored in Fortran (column-major) order; save it with np.save(path, np.ascontiguousarray(a))");
        if (!(dict.get("shape") instanceof List<?> shape))
            throw new UserError(p + ": .npy header has a shape that is not a tuple");
        if (shape.size() != 2)
            throw new UserError(p + ": expected a 2-D array (rows × dim), got shape " + tupleString(shape));
        long[] dims = new long[2];
        for (int d = 0; d < 2; d++) {
            if (!(shape.get(d) instanceof Long n) || n < 0 || n > Integer.MAX_VALUE)
                throw new UserError(p + ": bad dimension in shape " + tupleString(shape));
            dims[d] = n;
        }
        long count = dims[0] * dims[1]; // < 2^62, no overflow
        if (count > Integer.MAX_VALUE) throw new UserError(p + ": shape " + tupleString(shape) + " has more than 2^31 elements");
        long dataBytes = count * itemSize, have = size - dataStart;
        if (have < dataBytes)
            throw new UserError(p + " is truncated: header says " + dataBytes + " bytes of data, file has " + have);
        if (have > dataBytes)
            throw new UserError(p + " has extra bytes: header says " + dataBytes + " bytes of data, file has " + have);

        Tensor t = Tensor.allocate(arena, (int) dims[0], (int) dims[1]);
        if (count == 0) return t;
        MemorySegment dst = t.segment();
        if (itemSize == 4) {
            src.read(dataStart, dst);
            IoUtil.fromLittleEndian(dst, count);
        } else {
            // float64 in chunks through a small heap buffer, narrowed to float32
            int per = 1 << 16;
            MemorySegment buf = MemorySegment.ofArray(new byte[8 * per]);
            for (long k = 0; k < count; k += per) {
                int m = (int) Math.min(per, count - k);
                MemorySegment part = buf.asSlice(0, 8L * m);
                src.read(dataStart + 8 * k, part);
                for (int j = 0; j < m; j++) dst.setAtIndex(IoUtil.F32, k + j, (float) part.getAtIndex(IoUtil.F64_LE, j));
            }
        }
        return t;
    }

    private static boolean startsWithMagic(ByteBuffer b) {
        for (int k = 0; k < MAGIC.length; k++) if (b.get(k) != MAGIC[k]) return false;
        return true;
    }

    private static String shorten(String h) {
        String t = h.strip();
        return t.length() > 200 ? t.substring(0, 200) + "…" : t;
    }

    private static String tupleString(List<?> shape) {
        StringBuilder b = new StringBuilder("(");
        for (int k = 0; k < shape.size(); k++) {
            if (k > 0) b.append(", ");
            b.append(shape.get(k));
        }
        if (shape.size() == 1) b.append(',');
        return b.append(')').toString();
    }

    /** Writes a rank-1 or rank-2 tensor as '<f4' C-order .npy v1.0, atomically. */
    public static void write(Path p, Tensor t) {
        if (t.rank() != 1 && t.rank() != 2) throw new IllegalArgumentException(".npy output takes rank 1 or 2, got " + t);
        String shape = t.rank() == 1 ? "(" + t.dim(0) + ",)" : "(" + t.dim(0) + ", " + t.dim(1) + ")";
        StringBuilder h = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': ").append(shape).append(", }");
        // Pad with spaces, end with '\n', so that 10 + header length is a multiple of 64.
        int total = 10 + h.length() + 1;
        h.append(" ".repeat((64 - total % 64) % 64)).append('\n');
        byte[] header = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer pre = ByteBuffer.allocate(10 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        pre.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length).put(header).flip();
        IoUtil.writeAtomically(p, ch -> {
            IoUtil.writeFully(ch, pre);
            IoUtil.writeFloatsLE(ch, t.segment(), t.size());
        });
    }

    /**
     * The Python literals an .npy header uses: dicts, str, True/False/None, int, tuples and
     * lists. Throws IllegalArgumentException on anything else.
     */
    private static final class PyLiteral {
        private final String s;
        private int i;

        PyLiteral(String s) { this.s = s; }

        Object parseAll() {
            ws();
            Object v = value(0);
            ws();
            if (i != s.length()) throw new IllegalArgumentException("unexpected text at character " + i);
            return v;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private Object value(int depth) {
            if (depth > 16) throw new IllegalArgumentException("nested too deeply");
            if (i >= s.length()) throw new IllegalArgumentException("unexpected end");
            char c = s.charAt(i);
            if (c == '{') return dict(depth);
            if (c == '(') return seq(')', depth);
            if (c == '[') return seq(']', depth);
            if (c == '\'' || c == '"') return str();
            if (s.startsWith("True", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("False", i)) { i += 5; return Boolean.FALSE; }
            if (s.startsWith("None", i)) { i += 4; return null; }
            if (c == '-' || Character.isDigit(c)) return integer();
            throw new IllegalArgumentException("unexpected '" + c + "' at character " + i);
        }

        private Map<String, Object> dict(int depth) {
            i++;
            Map<String, Object> m = new LinkedHashMap<>();
            while (true) {
                ws();
                if (i < s.length() && s.charAt(i) == '}') { i++; return m; }
                if (!(value(depth + 1) instanceof String k)) throw new IllegalArgumentException("dict key is not a string");
                ws();
                if (i >= s.length() || s.charAt(i) != ':') throw new IllegalArgumentException("expected ':' at character " + i);
                i++;
                ws();
                m.put(k, value(depth + 1));
                ws();
                if (i < s.length() && s.charAt(i) == ',') i++;
                else if (i >= s.length() || s.charAt(i) != '}') throw new IllegalArgumentException("expected ',' or '}' at character " + i);
            }
        }

        private List<Object> seq(char close, int depth) {
            i++;
            List<Object> a = new ArrayList<>();
            while (true) {
                ws();
                if (i < s.length() && s.charAt(i) == close) { i++; return a; }
                a.add(value(depth + 1));
                ws();
                if (i < s.length() && s.charAt(i) == ',') i++;
                else if (i >= s.length() || s.charAt(i) != close) throw new IllegalArgumentException("expected ',' or '" + close + "' at character " + i);
            }
        }

        private String str() {
            char q = s.charAt(i++);
            StringBuilder b = new StringBuilder();
            while (i < s.length() && s.charAt(i) != q) {
                char c = s.charAt(i++);
                if (c == '\\' && i < s.length()) c = s.charAt(i++);
                b.append(c);
            }
            if (i >= s.length()) throw new IllegalArgumentException("unterminated string");
            i++;
            return b.toString();
        }

        private Long integer() {
            int start = i;
            if (s.charAt(i) == '-') i++;
            while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
            // numpy on Python 2 wrote longs as 3L.
            String t = s.substring(start, i);
            if (i < s.length() && s.charAt(i) == 'L') i++;
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad integer '" + t + "'");
            }
        }
    }
}
