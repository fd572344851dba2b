package dev.panflow.train;

import dev.panflow.data.Datasets;
import dev.panflow.io.Csv;
import dev.panflow.io.Npy;
import dev.panflow.io.Safetensors;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

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
                ck = dir("train/CheckpointFuzzTestInputs/checkpoint");
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
                TrainConfig cfg = new TrainConfig("checkerboard", "ot", 4, 1, emb, 2, 8, 2, 1e-3f, "constant", 0, 0f, 0.9f,
                        0f, 1, 0, "uniform", 0f);
                try (Pool pool = new Pool(1);
                     CfmTrainer tr = new CfmTrainer(cfg, Datasets.open("checkerboard", a), Paths.byName("ot"), pool)) {
                    tr.trainStep();
                    Checkpoint.save(tr, ck.resolve("tiny_" + emb));
                }
            }
        }
        // the combined target's seeds: each parser's seeds behind its selector byte (ParsersFuzzTest.PARSERS)
        Path all = dir("train/ParsersFuzzTestInputs/anyParser");
        Path[] dirs = {st, npy, csv, json, ck};
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
