package dev.panflow.io;

import static org.junit.jupiter.api.Assertions.*;

import dev.panflow.UserError;
import dev.panflow.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir Path dir;

    static Map<String, Tensor> sample(Arena a) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("net.0.weight", Tensor.of(a, new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        m.put("net.0.bias", Tensor.of(a, new float[] {-1, 0.5f}, 2));
        m.put("step", Tensor.of(a, new float[] {42}));
        m.put("empty", Tensor.allocate(a, 0, 4));
        m.put("näme \"q\"", Tensor.of(a, new float[] {7, 8, 9, 10}, 1, 2, 2));
        return m;
    }

    static byte[] file(String json, byte[] data) {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(data).array();
    }

    String error(byte[] bytes) throws IOException {
        Path p = Files.write(dir.resolve("bad.safetensors"), bytes);
        try (Arena a = Arena.ofConfined()) {
            String m = assertThrows(UserError.class, () -> Safetensors.read(p, a)).getMessage();
            assertTrue(m.startsWith(p + " "), m);
            return m;
        }
    }

    @Test
    void roundTripWithMetadata() {
        try (Arena a = Arena.ofConfined()) {
            Map<String, Tensor> in = sample(a);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "pt");
            meta.put("config", "{\"hidden\": 256}\n");
            Path p = dir.resolve("ck.safetensors");
            Safetensors.write(p, in, meta);
            assertFalse(Files.exists(dir.resolve("ck.safetensors.tmp")));
            SafetensorsFile f = Safetensors.read(p, a);
            assertEquals(meta, f.metadata());
            assertEquals(List.copyOf(in.keySet()), List.copyOf(f.tensors().keySet()), "file order = write order");
            for (var e : in.entrySet()) {
                Tensor t = f.tensors().get(e.getKey());
                assertArrayEquals(e.getValue().shape(), t.shape(), e.getKey());
                assertArrayEquals(e.getValue().toArray(), t.toArray(), e.getKey());
            }
            // Without metadata, and empty.
            Safetensors.write(p, Map.of(), Map.of());
            SafetensorsFile g = Safetensors.read(p, a);
            assertTrue(g.tensors().isEmpty() && g.metadata().isEmpty());
        }
    }

    /** Parses the file with nothing from Panflow: header length, padding, offsets, raw floats. */
    @Test
    void layoutMatchesTheSpecIndependently() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            Path p = dir.resolve("ind.safetensors");
            Safetensors.write(p, sample(a), Map.of("k", "v"));
            byte[] raw = Files.readAllBytes(p);
            ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            long n = b.getLong(0);
            assertEquals(0, n % 8, "header padded to a multiple of 8");
            String header = new String(raw, 8, (int) n, StandardCharsets.UTF_8);
            assertTrue(header.startsWith("{\"__metadata__\":{\"k\":\"v\"},"), header);
            assertTrue(header.stripTrailing().endsWith("}") && header.substring(header.stripTrailing().length()).isBlank());
            Matcher m = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\":\\{\"dtype\":\"F32\",\"shape\":\\[([0-9,]*)\\],\"data_offsets\":\\[(\\d+),(\\d+)\\]\\}").matcher(header);
            long expectBegin = 0;
            int count = 0;
            while (m.find()) {
                long begin = Long.parseLong(m.group(3)), end = Long.parseLong(m.group(4));
                assertEquals(expectBegin, begin, "contiguous");
                long elems = 1;
                for (String d : m.group(2).isEmpty() ? new String[0] : m.group(2).split(",")) elems *= Long.parseLong(d);
                assertEquals(4 * elems, end - begin);
                expectBegin = end;
                count++;
                if (m.group(1).equals("net.0.bias")) {
                    assertEquals(-1f, b.getFloat((int) (8 + n + begin)));
                    assertEquals(0.5f, b.getFloat((int) (8 + n + begin + 4)));
                }
            }
            assertEquals(5, count);
            assertEquals(raw.length, 8 + n + expectBegin, "data section is exactly the tensors");
        }
    }

    /** When a Python 3 is around, its json/struct modules check the file as safetensors would. */
    @Test
    void pythonStdlibAgrees() throws Exception {
        Path py = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(py), "no python3");
        try (Arena a = Arena.ofConfined()) {
            Path p = dir.resolve("py.safetensors");
            Safetensors.write(p, sample(a), Map.of("format", "pt"));
            String script = String.join("\n",
                    "import json, struct, sys",
                    "b = open(sys.argv[1], 'rb').read()",
                    "n, = struct.unpack('<Q', b[:8])",
                    "h = json.loads(b[8:8 + n].decode('utf-8'))",
                    "assert h.pop('__metadata__') == {'format': 'pt'}",
                    "data = b[8 + n:]",
                    "pos = 0",
                    "for k, v in sorted(h.items(), key=lambda kv: kv[1]['data_offsets']):",
                    "    s, e = v['data_offsets']",
                    "    assert s == pos and v['dtype'] == 'F32', (k, v)",
                    "    cnt = 1",
                    "    for d in v['shape']: cnt *= d",
                    "    assert e - s == 4 * cnt",
                    "    pos = e",
                    "assert pos == len(data)",
                    "w = h['net.0.weight']",
                    "print(list(struct.unpack('<6f', data[w['data_offsets'][0]:w['data_offsets'][1]])), sorted(h))");
            Process proc = new ProcessBuilder(py.toString(), "-c", script, p.toString()).redirectErrorStream(true).start();
            assertTrue(proc.waitFor(20, TimeUnit.SECONDS));
            String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertEquals(0, proc.exitValue(), out);
            assertEquals("[1.0, 2.0, 3.0, 4.0, 5.0, 6.0] ['empty', 'net.0.bias', 'net.0.weight', 'näme \"q\"', 'step']", out);
        }
    }

    @Test
    void corruptHeadersAreUserErrors() throws IOException {
        byte[] data = new byte[24];
        assertTrue(error(new byte[5]).contains("shorter than the 8-byte header length"));
        // Header length past the end, huge, negative as signed.
        byte[] f = file("{}", data);
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
        assertTrue(error(f).contains("header length 1000 does not fit in a file of 34 bytes"));
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1);
        assertTrue(error(f).contains("header length 18446744073709551615 does not fit"));
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0);
        assertTrue(error(f).contains("header length 0 is too small"));
        assertTrue(error(file("{\"a\": {", data)).contains("not valid JSON"));
        assertTrue(error(file("[1, 2]", data)).contains("not a JSON object"));
        assertTrue(error(file("hello!!!", data)).contains("not valid JSON"));
        byte[] latin = file("{\"\u00e9\":1}", data);
        latin[10] = (byte) 0xE9; // lone latin-1 byte: not UTF-8
        assertTrue(error(latin).contains("not valid UTF-8"));
        String dt = error(file("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", data));
        assertTrue(dt.endsWith("tensor 'w' has dtype BF16; Panflow reads only F32"), dt);
        String ov = error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", data));
        assertTrue(ov.contains("overlaps"), ov);
        String past = error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}", data));
        assertTrue(past.contains("run past the end of the data (24 bytes)"), past);
        String size = error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", data));
        assertTrue(size.contains("12 bytes of F32") && size.contains("span 16 bytes"), size);
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", data)).contains("bad data_offsets"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", data)).contains("bad shape"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", data)).contains("bad shape"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", data))
                .contains("too large"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", data)).contains("needs data_offsets"));
        assertTrue(error(file("{\"a\":[1]}", data)).contains("entry 'a' is not an object"));
        assertTrue(error(file("{\"__metadata__\":{\"k\":1}}", data)).contains("__metadata__ value for 'k' is not a string"));
        assertTrue(error(file("{\"a\":1,\"a\":2}", data)).contains("duplicate key"));
        try (Arena a = Arena.ofConfined()) {
            String e = assertThrows(UserError.class, () -> Safetensors.read(dir.resolve("no.safetensors"), a)).getMessage();
            assertTrue(e.contains("file not found") && e.contains("no.safetensors"), e);
        }
    }

    @Test
    void holesBetweenTensorsAreTolerated() throws IOException {
        ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 3).putFloat(12, 4);
        Path p = Files.write(dir.resolve("h.safetensors"), file("{\"b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[12,16]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]}}  ", d.array()));
        try (Arena a = Arena.ofConfined()) {
            SafetensorsFile f = Safetensors.read(p, a);
            assertEquals(List.of("a", "b"), List.copyOf(f.tensors().keySet()));
            assertEquals(3f, f.tensors().get("a").get(0));
            assertEquals(4f, f.tensors().get("b").get(0));
            assertEquals(0, f.tensors().get("b").rank());
        }
    }

    @Test
    void atomicWriteReplacesAndCleansUp() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            Path p = Files.writeString(dir.resolve("c.safetensors"), "old");
            Safetensors.write(p, Map.of("x", Tensor.of(a, new float[] {1}, 1)), null);
            assertEquals(1f, Safetensors.read(p, a).tensors().get("x").get(0));
            try (var s = Files.list(dir)) { assertEquals(List.of(p), s.toList()); }
            // A write into a missing directory fails as a UserError and leaves nothing behind.
            Path bad = dir.resolve("nodir").resolve("c.safetensors");
            assertThrows(UserError.class, () -> Safetensors.write(bad, Map.of(), Map.of()));
            assertThrows(IllegalArgumentException.class,
                    () -> Safetensors.write(p, Map.of("__metadata__", Tensor.allocate(a, 1)), Map.of()));
            assertEquals(1f, Safetensors.read(p, a).tensors().get("x").get(0), "a failed write keeps the old file");
            try (var s = Files.list(dir)) { assertEquals(List.of(p), s.toList()); }
        }
    }
}
