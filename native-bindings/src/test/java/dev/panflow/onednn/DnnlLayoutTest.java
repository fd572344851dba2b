package dev.panflow.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hand-written bindings' struct sizes, offsets and enum values against the installed oneDNN
 * headers: a C program printing each expression is built with gcc and run. Needs gcc and
 * libdnnl-dev (CI installs both); fails with that hint otherwise.
 */
class DnnlLayoutTest {
    /** C expression → the value {@link Dnnl} uses. */
    static Map<String, Long> expected() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("sizeof(dnnl_memory_desc_t)", Dnnl.MEMORY_DESC_BYTES);
        m.put("sizeof(dnnl_convolution_desc_t)", Dnnl.CONV_DESC_BYTES);
        m.put("sizeof(dnnl_exec_arg_t)", Dnnl.EXEC_ARG_BYTES);
        m.put("offsetof(dnnl_exec_arg_t, arg)", 0L);
        m.put("offsetof(dnnl_exec_arg_t, memory)", Dnnl.EXEC_ARG_MEMORY_OFFSET);
        m.put("DNNL_MAX_NDIMS", (long) Dnnl.MAX_NDIMS);
        m.put("sizeof(dnnl_dims_t)", 8L * Dnnl.MAX_NDIMS);
        m.put("sizeof(dnnl_status_t)", 4L); // enums passed as JAVA_INT
        m.put("sizeof(size_t)", 8L);
        m.put("dnnl_success", (long) Dnnl.SUCCESS);
        m.put("dnnl_out_of_memory", 1L);
        m.put("dnnl_invalid_arguments", 2L);
        m.put("dnnl_unimplemented", 3L);
        m.put("dnnl_iterator_ends", 4L);
        m.put("dnnl_runtime_error", 5L);
        m.put("dnnl_not_required", 6L);
        m.put("dnnl_cpu", (long) Dnnl.ENGINE_CPU);
        m.put("dnnl_stream_default_flags", (long) Dnnl.STREAM_DEFAULT_FLAGS);
        m.put("dnnl_f32", (long) Dnnl.F32);
        m.put("dnnl_format_tag_any", (long) Dnnl.TAG_ANY);
        m.put("dnnl_x", (long) Dnnl.TAG_X);
        m.put("dnnl_nchw", (long) Dnnl.TAG_NCHW);
        m.put("dnnl_oihw", (long) Dnnl.TAG_OIHW);
        m.put("dnnl_forward_training", (long) Dnnl.FORWARD_TRAINING);
        m.put("dnnl_convolution_direct", (long) Dnnl.CONVOLUTION_DIRECT);
        m.put("dnnl_scratchpad_mode_user", (long) Dnnl.SCRATCHPAD_MODE_USER);
        m.put("DNNL_ARG_SRC", (long) Dnnl.ARG_SRC);
        m.put("DNNL_ARG_DST", (long) Dnnl.ARG_DST);
        m.put("DNNL_ARG_WEIGHTS", (long) Dnnl.ARG_WEIGHTS);
        m.put("DNNL_ARG_BIAS", (long) Dnnl.ARG_BIAS);
        m.put("DNNL_ARG_SCRATCHPAD", (long) Dnnl.ARG_SCRATCHPAD);
        m.put("DNNL_ARG_DIFF_SRC", (long) Dnnl.ARG_DIFF_SRC);
        m.put("DNNL_ARG_DIFF_DST", (long) Dnnl.ARG_DIFF_DST);
        m.put("DNNL_ARG_DIFF_WEIGHTS", (long) Dnnl.ARG_DIFF_WEIGHTS);
        m.put("DNNL_ARG_DIFF_BIAS", (long) Dnnl.ARG_DIFF_BIAS);
        m.put("DNNL_ARG_FROM", (long) Dnnl.ARG_FROM);
        m.put("DNNL_ARG_TO", (long) Dnnl.ARG_TO);
        m.put("dnnl_query_impl_info_str", (long) Dnnl.QUERY_IMPL_INFO_STR);
        m.put("dnnl_query_src_md", (long) Dnnl.QUERY_SRC_MD);
        m.put("dnnl_query_diff_src_md", (long) Dnnl.QUERY_DIFF_SRC_MD);
        m.put("dnnl_query_weights_md", (long) Dnnl.QUERY_WEIGHTS_MD);
        m.put("dnnl_query_diff_weights_md", (long) Dnnl.QUERY_DIFF_WEIGHTS_MD);
        m.put("dnnl_query_dst_md", (long) Dnnl.QUERY_DST_MD);
        m.put("dnnl_query_diff_dst_md", (long) Dnnl.QUERY_DIFF_DST_MD);
        m.put("dnnl_query_scratchpad_md", (long) Dnnl.QUERY_SCRATCHPAD_MD);
        m.put("DNNL_VERSION_MAJOR", 2L); // the 2.x API (op descriptors); 3.x changed it
        return m;
    }

    @Test
    void bindingsMatchInstalledHeaders(@TempDir Path dir) throws Exception {
        Map<String, Long> want = expected();
        StringBuilder c = new StringBuilder("""
                #include <stdio.h>
                #include <stddef.h>
                #include <dnnl.h>
                int main(void) {
                """);
        for (String e : want.keySet()) c.append("    printf(\"%lld\\n\", (long long)(").append(e).append("));\n");
        c.append("    return 0;\n}\n");
        Path src = dir.resolve("layout.c"), exe = dir.resolve("layout");
        Files.writeString(src, c);
        String cc = run(dir, "gcc", "-o", exe.toString(), src.toString());
        String out = run(dir, exe.toString());
        String[] lines = out.strip().split("\n");
        assertEquals(want.size(), lines.length, "C program output:\n" + out + cc);
        Map<String, Long> got = new HashMap<>();
        int i = 0;
        for (String e : want.keySet()) got.put(e, Long.parseLong(lines[i++].strip()));
        for (var e : want.entrySet()) assertEquals(e.getValue(), got.get(e.getKey()), e.getKey());
    }

    private static String run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            fail(cmd[0] + " not runnable (" + e.getMessage() + "): apt-get install gcc libdnnl-dev");
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), cmd[0] + " timed out");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed (needs gcc and libdnnl-dev: "
                + "apt-get install gcc libdnnl-dev):\n" + out);
        return out;
    }
}
