package dev.panflow.cli;

import dev.panflow.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code run.json}: what a run needs to be reproduced and compared: every option of the command
 * (given or default), the Panflow and JDK versions, the CPU model and vector ISA, threads and seed.
 */
final class RunInfo {
    private RunInfo() {}

    /** The command's options as {flag without dashes: value}, help and version left out. */
    static Map<String, Object> options(CommandSpec spec) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (OptionSpec o : spec.options()) {
            if (o.usageHelp() || o.versionHelp()) continue;
            Object v = o.getValue();
            m.put(o.longestName().replaceFirst("^-+", ""), v instanceof Path p ? p.toString() : v);
        }
        return m;
    }

    /** The machine: JDK, CPU model (from /proc/cpuinfo), vector ISA (from the preferred species), cores. */
    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jdk", Runtime.version().toString());
        m.put("jdk_vendor", System.getProperty("java.vendor"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("cpu_model", cpuModel());
        int floats = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        m.put("isa", isa(floats));
        m.put("vector_floats", floats);
        m.put("cores", Runtime.getRuntime().availableProcessors());
        return m;
    }

    static String isa(int floats) {
        return switch (floats) {
            case 16 -> "AVX-512";
            case 8 -> "AVX2";
            case 4 -> "128-bit (SSE or NEON)";
            default -> (32 * floats) + "-bit vectors";
        };
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    int c = line.indexOf(':');
                    if (c >= 0) return line.substring(c + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable
        }
        return null;
    }

    /** What a trainer says of its run (data, model, path, threads, ...), for the {@code run} part of a command's run.json. */
    static Map<String, Object> trainer(dev.panflow.api.Trainer tr) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", tr.dataName());
        m.put("dim", tr.dim());
        m.put("model", tr.modelDescription());
        m.put("parameters", tr.parameterCount());
        m.put("path", tr.pathName());
        m.put("coupling", tr.couplingName());
        m.put("objective", tr.objective());
        m.put("threads", tr.threads());
        m.put("where", tr.where());
        return m;
    }

    /** The whole record: {@code run} (the command's own facts) first, then options and machine. */
    static String json(String command, CommandSpec spec, Map<String, Object> run) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("panflow_version", Main.VERSION);
        m.put("command", command);
        m.put("started", Instant.now().toString());
        m.putAll(run);
        m.put("options", options(spec));
        m.put("machine", machine());
        return value(m, "") + "\n";
    }

    /** A JSON text of maps, collections, numbers, booleans, null and (quoted) anything else. */
    static String value(Object o, String indent) {
        if (o == null) return "null";
        if (o instanceof Boolean b) return b.toString();
        if (o instanceof Float f) return Float.isFinite(f) ? f.toString() : "null"; // 0.05, 1.0E-4: valid JSON
        if (o instanceof Double d) return Double.isFinite(d) ? d.toString() : "null";
        if (o instanceof Number n) return n.toString();
        if (o instanceof Map<?, ?> map) {
            if (map.isEmpty()) return "{}";
            StringBuilder sb = new StringBuilder("{");
            String in = indent + "  ";
            boolean first = true;
            for (var e : map.entrySet()) {
                sb.append(first ? "\n" : ",\n").append(in).append(Json.quote(String.valueOf(e.getKey()))).append(": ").append(value(e.getValue(), in));
                first = false;
            }
            return sb.append('\n').append(indent).append('}').toString();
        }
        if (o instanceof Collection<?> c) {
            StringBuilder sb = new StringBuilder("[");
            boolean first = true;
            for (Object v : c) {
                sb.append(first ? "" : ", ").append(value(v, indent));
                first = false;
            }
            return sb.append(']').toString();
        }
        return Json.quote(o.toString());
    }
}
