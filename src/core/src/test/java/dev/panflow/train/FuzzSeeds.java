package dev.panflow.train;

import dev.panflow.data.Datasets;
import dev.panflow.io.Csv;
import dev.panflow.io.Npy;
import dev.panflow.io.Safetensors;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Writes the fuzz targets' seed corpus of valid files under src/test/resources (Jazzer's
 * {@code <Class>Inputs/<method>/} layout). Run once from the repository root:
 * {@code java -cp <test classpath> dev.panflow.train.FuzzSeeds}; the files are committed.
 */
public final class FuzzSeeds {
    static final Path RES = Path.of("src/test/resources/dev/panflow");

    public static void main(String[] args) throws IOException {
        Path npy = dir("io/NpyFuzzTestInputs/npy"), st = dir("io/SafetensorsFuzzTestInputs/safetensors"),
                csv = dir("io/CsvFuzzTestInputs/csv"), json = dir("io/JsonFuzzTestInputs/json"),
                ck = dir("train/CheckpointFuzzTestInputs/checkpoint"), idx = dir("io/IdxFuzzTestInputs/idx");
        try (Arena a = Arena.ofShared()) {
            Tensor t = Tensor.of(a, new float[] {1, -2.5f, 3e-3f, 4e10f, 0, -0f}, 3, 2);
            Npy.write(npy.resolve("f4_3x2"), t);
            Npy.write(npy.resolve("f4_0x4"), Tensor.allocate(a, 0, 4));
            // float64 and versions 2/3, as numpy writes them
            Files.write(npy.resolve("f8_2x1"), npyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }",
                    new byte[] {0, 0, 0, 0, 0, 0, (byte) 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40}));
            Files.write(npy.resolve("v2_f4"), npyBytes(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", new byte[4]));
            Files.write(npy.resolve("v3_f4"), npyBytes(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (1L, 1L), }", new byte[4]));

            Map<String, Tensor> m = new LinkedHashMap<>();
            m.put("w", t);
            m.put("b", Tensor.of(a, new float[] {7}, 1));
            m.put("s", Tensor.of(a, new float[] {8}));
            m.put("e", Tensor.allocate(a, 0, 3));
            Safetensors.write(st.resolve("four_tensors"), m, Map.of("format", "pt", "note", "seed"));
            Safetensors.write(st.resolve("no_metadata"), Map.of("x", Tensor.of(a, new float[] {1, 2}, 2)), null);

            Csv.write(csv.resolve("plain"), t);
            text(csv.resolve("header_blank_crlf"), "x,y\r\n\r\n1,2\r\n3.5e-1,-4\r\n");
            text(csv.resolve("quoted_bom"), "\uFEFF\"a\",\"b\",\"c\"\n\"1\", 2 ,+3\n.5,6.,7e+2\n");

            text(json.resolve("object"), "{\"a\": [1, -2.5e3, true, false, null], \"b\": {\"c\": \"\\u00e9\\n\"}}");
            text(json.resolve("header"), "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,24]}}");

            for (String emb : new String[] {"concat", "sinusoidal"}) {
                TrainConfig cfg = new TrainConfig("checkerboard", "ot", 4, 1, emb, 2, 8, 2, 1e-3f, LrSchedule.CONSTANT, 0, 0f, 0.9f,
                        0f, 1, 0, TimeSampling.UNIFORM, 0f);
                try (Pool pool = new Pool(1);
                     CfmTrainer tr = new CfmTrainer(cfg, Datasets.open("checkerboard", a), Paths.byName("ot"), pool)) {
                    tr.trainStep();
                    Checkpoint.save(tr, ck.resolve("tiny_" + emb));
                }
            }
        }
        // IDX as Fashion-MNIST ships it (ubyte, rank 1 labels and rank 3 images), plain and gzip'd
        byte[] images = idx(new int[] {2, 3, 4}, ramp(24));
        Files.write(idx.resolve("images_idx3"), images);
        Files.write(idx.resolve("images_idx3.gz"), gzip(images));
        byte[] labels = idx(new int[] {10}, new byte[] {9, 0, 0, 3, 0, 2, 7, 2, 5, 5});
        Files.write(idx.resolve("labels_idx1"), labels);
        Files.write(idx.resolve("labels_idx1_fname.gz"), gzipWithName(labels, "t10k-labels-idx1-ubyte"));
        Files.write(idx.resolve("rank2"), idx(new int[] {3, 5}, ramp(15)));
        Files.write(idx.resolve("rank4"), idx(new int[] {1, 2, 2, 2}, ramp(8)));
        Files.write(idx.resolve("empty_0x28x28"), idx(new int[] {0, 28, 28}, new byte[0]));

        // the combined target's seeds: each parser's seeds behind its selector byte (ParsersFuzzTest.PARSERS)
        Path all = dir("train/ParsersFuzzTestInputs/anyParser");
        Path[] dirs = {st, npy, csv, json, ck, idx};
        for (int k = 0; k < dirs.length; k++)
            try (var files = Files.list(dirs[k])) {
                for (Path f : files.toList()) {
                    byte[] b = Files.readAllBytes(f), out = new byte[b.length + 1];
                    out[0] = (byte) k;
                    System.arraycopy(b, 0, out, 1, b.length);
                    Files.write(all.resolve(ParsersFuzzTest.PARSERS[k] + "_" + f.getFileName()), out);
                }
            }
    }

    static byte[] idx(int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) 0x08).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        return b.put(data).array();
    }

    static byte[] ramp(int n) {
        byte[] d = new byte[n];
        for (int i = 0; i < n; i++) d[i] = (byte) (i * 37 + 250);
        return d;
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(bo)) {
            z.write(raw);
        }
        return bo.toByteArray();
    }

    /** A gzip member with the FNAME field set, as the gzip tool writes it (Java's GZIPOutputStream does not). */
    static byte[] gzipWithName(byte[] raw, String name) {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        bo.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3});
        bo.writeBytes(name.getBytes(StandardCharsets.ISO_8859_1));
        bo.write(0);
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        d.setInput(raw);
        d.finish();
        byte[] buf = new byte[256];
        while (!d.finished()) bo.write(buf, 0, d.deflate(buf));
        d.end();
        CRC32 crc = new CRC32();
        crc.update(raw);
        bo.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue()).putInt(raw.length).array());
        return bo.toByteArray();
    }

    static Path dir(String d) throws IOException {
        return Files.createDirectories(RES.resolve(d));
    }

    static void text(Path p, String s) throws IOException {
        Files.writeString(p, s, StandardCharsets.UTF_8);
    }

    static byte[] npyBytes(int major, String dict, byte[] data) {
        return dev.panflow.io.NpySeeds.npy(major, dict, data);
    }
}
