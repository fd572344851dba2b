package dev.panflow.io;

import dev.panflow.UserError;
import dev.panflow.tensor.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.lang.foreign.Arena;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Comma-separated numbers, one row per line. Blank lines are skipped; the first non-blank line
 * is a header when any of its fields is not a number. Every row has the same column count.
 * Numbers: decimal with optional exponent, or nan / inf / -inf / NaN / Infinity.
 */
public final class Csv {
    private Csv() {}

    /** Longest line accepted, in characters: a binary file or a missing newline is an error, not an out-of-memory. */
    static final int MAX_LINE = 1 << 24;

    /** Reads a rows × cols table into {@code arena} (0 × 0 for a file with no data rows). */
    public static Tensor read(Path p, Arena arena) {
        return read(p, arena, false);
    }

    /** The same; with {@code finiteOnly}, NaN or ±Inf is an error naming its line and column. */
    public static Tensor read(Path p, Arena arena, boolean finiteOnly) {
        try (FileChannel ch = IoUtil.openRead(p)) {
            return read(p.toString(), Channels.newInputStream(ch), arena, finiteOnly);
        } catch (IOException e) {
            throw new UserError("cannot read " + p + ": " + IoUtil.reason(e), e);
        }
    }

    static Tensor read(String p, InputStream stream, Arena arena, boolean finiteOnly) {
        Reader in = new InputStreamReader(stream, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
        try {
            return read(p, new BufferedReader(in, 1 << 16), arena, finiteOnly);
        } catch (CharacterCodingException e) {
            throw new UserError(p + " is not a UTF-8 text file");
        } catch (IOException e) {
            throw new UserError("cannot read " + p + ": " + IoUtil.reason(e), e);
        }
    }

    /** One line without its terminator (\n, \r\n or \r), null at the end; refuses lines over MAX_LINE. */
    private static String readLine(BufferedReader in, StringBuilder b, String p, int lineNo) throws IOException {
        b.setLength(0);
        int c = in.read();
        if (c < 0) return null;
        while (c >= 0 && c != '\n' && c != '\r') {
            if (b.length() >= MAX_LINE)
                throw new UserError(p + ": line " + lineNo + " is longer than " + MAX_LINE + " characters (not a CSV text file?)");
            b.append((char) c);
            c = in.read();
        }
        if (c == '\r') {
            in.mark(1);
            if (in.read() != '\n') in.reset();
        }
        return b.toString();
    }

    private static Tensor read(String p, BufferedReader in, Arena arena, boolean finiteOnly) throws IOException {
        float[] vals = new float[1024];
        long n = 0;
        int cols = -1, rows = 0, lineNo = 0, headerCols = -1;
        boolean first = true;
        String line;
        StringBuilder lb = new StringBuilder();
        while ((line = readLine(in, lb, p, lineNo + 1)) != null) {
            lineNo++;
            if (lineNo == 1 && line.startsWith("\uFEFF")) line = line.substring(1); // byte-order mark
            if (line.isBlank()) continue;
            String[] fields = line.split(",", -1);
            if (first) {
                first = false;
                if (!allNumeric(fields)) {
                    headerCols = fields.length;
                    continue;
                }
            }
            if (cols < 0) {
                cols = fields.length;
                if (headerCols >= 0 && headerCols != cols)
                    throw new UserError(p + ": line " + lineNo + " has " + cols + " columns but the header has " + headerCols);
            } else if (fields.length != cols) {
                throw new UserError(p + ": line " + lineNo + " has " + fields.length + " columns, earlier rows have " + cols);
            }
            if (n + cols > Integer.MAX_VALUE - 8) throw new UserError(p + " has more than 2^31 values");
            if (n + cols > vals.length) vals = grow(vals, n + cols, p);
            for (int c = 0; c < cols; c++) {
                double v;
                try {
                    v = parse(fields[c]);
                } catch (NumberFormatException e) {
                    String f = fields[c].strip();
                    String hint = f.indexOf(';') >= 0 || f.indexOf('\t') >= 0 ? " (values must be separated by commas)" : "";
                    throw new UserError(p + ": line " + lineNo + ", column " + (c + 1) + ": '" + clip(f) + "' is not a number" + hint);
                }
                if (finiteOnly && !Double.isFinite((float) v))
                    throw new UserError(p + ": line " + lineNo + ", column " + (c + 1) + ": '" + clip(fields[c].strip()) + "' is "
                            + (float) v + " as float32 (all values must be finite)");
                vals[(int) n++] = (float) v;
            }
            rows++;
        }
        if (cols < 0) cols = Math.max(headerCols, 0);
        Tensor t = Tensor.allocate(arena, rows, cols);
        if (n > 0) t.copyFrom(n == vals.length ? vals : Arrays.copyOf(vals, (int) n));
        return t;
    }

    /** A larger value array, or a UserError when the heap cannot hold it (the file is too big for CSV). */
    private static float[] grow(float[] vals, long need, String p) {
        long want = Math.min(Integer.MAX_VALUE - 8, Math.max(need, 2L * vals.length));
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        // the copy and the old array live together, and the tensor copy follows: keep 2x headroom
        if (4 * want > free / 2) {
            want = need + (need >> 3);
            if (4 * want > free / 2)
                throw new UserError(p + " has more values (over " + need + ") than this JVM's heap can hold as CSV (-Xmx "
                        + (rt.maxMemory() >> 20) + " MiB); convert it to .npy");
        }
        return Arrays.copyOf(vals, (int) want);
    }

    private static boolean allNumeric(String[] fields) {
        try {
            for (String f : fields) parse(f);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    /** The value of one field; NumberFormatException when it is not a number. */
    static double parse(String field) {
        String f = field.strip();
        if (f.length() >= 2 && f.charAt(0) == '"' && f.charAt(f.length() - 1) == '"') f = f.substring(1, f.length() - 1).strip();
        if (f.isEmpty()) throw new NumberFormatException("empty");
        String lower = f.toLowerCase(java.util.Locale.ROOT);
        switch (lower) {
            case "nan", "+nan", "-nan": return Double.NaN;
            case "inf", "+inf", "infinity", "+infinity": return Double.POSITIVE_INFINITY;
            case "-inf", "-infinity": return Double.NEGATIVE_INFINITY;
            default: break;
        }
        if (!isDecimal(f)) throw new NumberFormatException(f);
        return Double.parseDouble(f);
    }

    /** [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)? — stricter than parseDouble (no 1f, 0x1p3). */
    private static boolean isDecimal(String f) {
        int i = 0, n = f.length();
        if (i < n && (f.charAt(i) == '+' || f.charAt(i) == '-')) i++;
        int intDigits = 0, fracDigits = 0;
        while (i < n && isAsciiDigit(f.charAt(i))) { i++; intDigits++; }
        if (i < n && f.charAt(i) == '.') {
            i++;
            while (i < n && isAsciiDigit(f.charAt(i))) { i++; fracDigits++; }
        }
        if (intDigits + fracDigits == 0) return false;
        if (i < n && (f.charAt(i) == 'e' || f.charAt(i) == 'E')) {
            i++;
            if (i < n && (f.charAt(i) == '+' || f.charAt(i) == '-')) i++;
            int expDigits = 0;
            while (i < n && isAsciiDigit(f.charAt(i))) { i++; expDigits++; }
            if (expDigits == 0) return false;
        }
        return i == n;
    }

    private static boolean isAsciiDigit(char c) { return c >= '0' && c <= '9'; }

    /** Writes a rank-2 tensor, one row per line, shortest round-tripping float text; atomic. */
    public static void write(Path p, Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException("CSV output takes rank 2, got " + t);
        int rows = t.dim(0), cols = t.dim(1);
        IoUtil.writeAtomically(p, ch -> {
            var out = new java.io.BufferedWriter(new java.io.OutputStreamWriter(Channels.newOutputStream(ch), StandardCharsets.UTF_8), 1 << 16);
            StringBuilder b = new StringBuilder();
            for (int r = 0; r < rows; r++) {
                b.setLength(0);
                for (int c = 0; c < cols; c++) {
                    if (c > 0) b.append(',');
                    float v = t.get(r, c);
                    // the spellings numpy writes and reads
                    if (Float.isNaN(v)) b.append("nan");
                    else if (Float.isInfinite(v)) b.append(v > 0 ? "inf" : "-inf");
                    else b.append(v);
                }
                out.append(b).append('\n');
            }
            out.flush(); // the channel itself is closed (and forced) by writeAtomically
        });
    }
}
