package dev.panflow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The JIT flags that force-inline the kernels' vector helpers (PANFLOW_JIT_FLAGS in bin/jdk.sh,
 * panflow.jit.flags in pom.xml): every method of Panflow's own that takes or returns a Vector API
 * value is on the list (a call C2 leaves in place boxes the vectors crossing it), the launcher's
 * list is the build's, and this JVM runs with it.
 */
class JitFlagsTest {
    private static final Pattern COMMAND = Pattern.compile("-XX:CompileCommand=(\\w+,[\\w.$]+::\\w+)");

    @Test
    void everyMethodPassingAVectorIsForceInlined() throws Exception {
        Set<String> listed = inlined(launcherFlags());
        Path classes = Path.of(ExpF.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> vectorMethods = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                String name = classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
                Class<?> c = Class.forName(name, false, ExpF.class.getClassLoader());
                for (Method m : c.getDeclaredMethods())
                    if (passesVector(m)) vectorMethods.add(c.getName() + "::" + m.getName());
            }
        }
        assertTrue(vectorMethods.size() >= 5, "found the kernels' vector helpers: " + vectorMethods);
        List<String> missing = vectorMethods.stream().filter(m -> !listed.contains(m)).distinct().toList();
        assertEquals(List.of(), missing, "methods passing vectors, missing from PANFLOW_JIT_FLAGS (bin/jdk.sh) and panflow.jit.flags (pom.xml)");
    }

    @Test
    void theLauncherAndTheBuildPassTheSameList() throws Exception {
        List<String> jvm = ManagementFactory.getRuntimeMXBean().getInputArguments();
        assertTrue(jvm.contains("-XX:CompileCommand=quiet"), "this JVM's flags: " + jvm);
        assertEquals(commands(launcherFlags()), commands(String.join(" ", jvm)), "bin/jdk.sh's PANFLOW_JIT_FLAGS vs this JVM's (pom.xml's panflow.jit.flags)");
    }

    private static boolean passesVector(Method m) {
        if (m.isSynthetic()) return false;
        if (jdk.incubator.vector.Vector.class.isAssignableFrom(m.getReturnType())) return true;
        for (Class<?> p : m.getParameterTypes()) if (jdk.incubator.vector.Vector.class.isAssignableFrom(p)) return true;
        return false;
    }

    /** The text of PANFLOW_JIT_FLAGS=( ... ) in bin/jdk.sh. */
    private static String launcherFlags() throws Exception {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("bin/jdk.sh"))) dir = dir.getParent();
        assertTrue(dir != null, "bin/jdk.sh above " + System.getProperty("user.dir"));
        String sh = Files.readString(dir.resolve("bin/jdk.sh"));
        Matcher m = Pattern.compile("PANFLOW_JIT_FLAGS=\\(([^)]*)\\)").matcher(sh);
        assertTrue(m.find(), "PANFLOW_JIT_FLAGS in bin/jdk.sh");
        return m.group(1);
    }

    /** The methods the flags force-inline, as "Class::method". */
    private static Set<String> inlined(String flags) {
        Set<String> out = new TreeSet<>();
        for (String c : commands(flags)) if (c.startsWith("inline,")) out.add(c.substring("inline,".length()));
        return out;
    }

    /** Every per-method command (inline and dontinline), as "command,Class::method". */
    private static Set<String> commands(String flags) {
        Matcher m = COMMAND.matcher(flags);
        Set<String> out = new TreeSet<>();
        while (m.find()) out.add(m.group(1));
        return out;
    }
}
