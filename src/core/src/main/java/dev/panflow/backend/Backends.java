package dev.panflow.backend;

import dev.panflow.InvalidParameterException;
import dev.panflow.UserError;
import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.ConvScalar;
import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The backends by name: the core's "jvm" (the default) and "scalar", then every {@link Backend}
 * that {@link ServiceLoader} finds on the class path (panflow-native adds "onednn" and "cuda").
 */
public final class Backends {
    public static final String DEFAULT = "jvm";

    private static final Map<String, Backend> ALL = discover();

    private Backends() {}

    private static Map<String, Backend> discover() {
        Map<String, Backend> m = new LinkedHashMap<>();
        m.put("jvm", new Builtin("jvm", "Vector API kernels", true));
        m.put("scalar", new Builtin("scalar", "plain reference loops", false));
        for (Backend b : ServiceLoader.load(Backend.class, Backends.class.getClassLoader()))
            m.putIfAbsent(b.name(), b);
        return m;
    }

    /** Every backend known, the core's first. */
    public static java.util.Collection<Backend> all() { return java.util.Collections.unmodifiableCollection(ALL.values()); }

    /** The names accepted, for help texts ("jvm, scalar, onednn, cuda"). */
    public static String names() { return String.join(", ", ALL.keySet()); }

    /** The backend called {@code name} (case-insensitive); a UserError listing the choices for any other. */
    public static Backend byName(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        Backend b = ALL.get(n);
        if (b == null) {
            String hint = ALL.containsKey("cuda") ? "" : " (onednn and cuda come with panflow-native on the class path)";
            throw InvalidParameterException.unknown("backend", name, "one of " + names() + hint);
        }
        return b;
    }

    /** The backend's canonical name; a UserError listing the choices for any other. */
    public static String check(String name) { return byName(name).name(); }

    /** The convolution kernels of a backend, its library looked up in the default places. */
    public static ConvKernels conv(String name, Pool pool) {
        return byName(name).convolutions(pool, BackendOptions.DEFAULT);
    }

    /** The core's two backends: the JVM runs everything; they differ only in who runs a U-Net's convolutions. */
    private record Builtin(String name, String summary, boolean simd) implements Backend {
        @Override
        public ConvKernels convolutions(Pool pool, BackendOptions options) {
            return simd ? new JvmConv(pool) : new ConvScalar();
        }
    }
}
