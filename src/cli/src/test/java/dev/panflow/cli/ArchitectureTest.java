package dev.panflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The core's package structure, read by jdeps from its compiled classes (src/core/target/classes
 * in a reactor build, the panflow-core jar otherwise): no package cycle, the bottom layers
 * (kernels, tensor) depend on nothing above them, and nothing in the core names a native
 * backend or the CLI, which plug in from other modules. The root package dev.panflow (UserError)
 * may be used everywhere.
 */
class ArchitectureTest {
    static final String ROOT = "dev.panflow";
    static final Set<String> BOTTOM = Set.of("dev.panflow.kernels", "dev.panflow.tensor");
    static final Set<String> HIGHER = Set.of("train", "sampling", "backend", "api", "nn", "ode", "path", "coupling", "cli");
    static final Set<String> OUTSIDE_CORE = Set.of("cuda", "onednn", "mpi", "nativelib", "cli", "bench");

    static PackageGraph core;

    @BeforeAll
    static void runJdeps() throws Exception {
        // The core's classes: wherever UserError was loaded from (a folder or a jar).
        Path classes = Path.of(UserError.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.exists(classes), classes.toString());
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError("this JDK has no jdeps"));
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out, true), new PrintWriter(err, true),
                "-verbose:package", "--ignore-missing-deps", classes.toString());
        assertEquals(0, rc, "jdeps failed: " + err);
        core = PackageGraph.parse(out.toString(), ROOT);
        // Guard against a parse that finds nothing and so passes everything.
        assertTrue(core.packages().containsAll(BOTTOM), "jdeps output not understood:\n" + out);
        assertFalse(core.targets("dev.panflow.train").isEmpty(), "no edges parsed from:\n" + out);
    }

    @Test
    void corePackagesHaveNoCycle() {
        List<String> cycle = core.cycle(Set.of(ROOT));
        assertTrue(cycle.isEmpty(), "package cycle in panflow-core: " + String.join(" -> ", cycle));
    }

    @Test
    void kernelsAndTensorDependOnNoHigherPackage() {
        List<String> bad = new ArrayList<>();
        for (String low : BOTTOM)
            for (String to : core.targets(low))
                if (HIGHER.contains(top(to))) bad.add(low + " -> " + to);
        assertTrue(bad.isEmpty(), "bottom layers reach up: " + bad);
    }

    @Test
    void coreNamesNoNativeBackendNorTheCli() {
        List<String> bad = new ArrayList<>();
        for (String from : core.packages())
            for (String to : core.targets(from))
                if (OUTSIDE_CORE.contains(top(to))) bad.add(from + " -> " + to);
        for (String p : core.packages())
            if (OUTSIDE_CORE.contains(top(p))) bad.add(p + " (in the core)");
        assertTrue(bad.isEmpty(), "panflow-core reaches outside itself: " + bad);
    }

    /** "nn" for dev.panflow.nn and its subpackages; "" for the root package. */
    static String top(String pkg) {
        return pkg.equals(ROOT) ? "" : pkg.substring(ROOT.length() + 1).split("\\.")[0];
    }

    /** The cycle search itself finds a cycle through a planted edge, and ignores the root package. */
    @Test
    void cycleSearchFindsAPlantedCycle() {
        PackageGraph g = new PackageGraph();
        g.add("a.nn", "a.kernels");
        g.add("a.ode", "a.nn");
        g.add("a.kernels", "a");
        g.add("a", "a.nn");
        assertEquals(List.of(), g.cycle(Set.of("a")));
        g.add("a.kernels", "a.ode");
        assertEquals(List.of("a.kernels", "a.ode", "a.nn", "a.kernels"), g.cycle(Set.of("a")));
    }
}
