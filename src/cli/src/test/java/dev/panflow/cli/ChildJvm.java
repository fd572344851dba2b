package dev.panflow.cli;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/** The start of a child JVM's command line: this JVM's java and the flags of its own a Panflow JVM needs. */
final class ChildJvm {
    private ChildJvm() {}

    /** java, then this JVM's Vector API, native-access, JIT force-inline and vector-width flags; a mutable list. */
    static List<String> java() {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments())
            if (a.startsWith("--add-modules") || a.startsWith("--enable-native-access") || a.startsWith("-XX:CompileCommand") || a.startsWith("-XX:UseAVX"))
                cmd.add(a);
        return cmd;
    }
}
