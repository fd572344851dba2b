package dev.panflow.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;

/**
 * Run in a JVM started with -XX:NativeMemoryTracking=summary: repeats CLI commands that fail
 * (args after "--", split on ";") ROUNDS times and prints the growth of native memory in NMT's
 * "Other" category, where every MemorySegment allocated by an Arena is accounted
 * (Unsafe.allocateMemory). Mode "leak" instead allocates 1 MiB 64 times without closing, to show
 * the method sees a leak. Output: one line "other-growth-kb N".
 */
public final class NativeMemoryProbe {
    static long otherKb() throws Exception {
        String s = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
        Matcher m = Pattern.compile("Other \\(reserved=(\\d+)KB, committed=(\\d+)KB").matcher(s);
        if (!m.find()) throw new IllegalStateException("no 'Other' line in NMT output (started without NMT?):\n" + s);
        return Long.parseLong(m.group(2));
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[1]);
        PrintStream out = System.out, err = System.err;
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        String[][] commands = args.length > 3 ? split(args) : new String[0][];
        Runnable once = () -> {
            if (args[0].equals("leak")) {
                Arena.ofShared().allocate(1 << 20); // never closed
                return;
            }
            for (String[] c : commands) if (Main.run(c) != 2) throw new AssertionError("expected exit code 2: " + String.join(" ", c));
        };
        System.setOut(quiet);
        System.setErr(quiet);
        try {
            for (int i = 0; i < 3; i++) once.run(); // warm-up: class loading, JIT, caches
            System.gc();
            long before = otherKb();
            for (int i = 0; i < rounds; i++) once.run();
            System.gc();
            long after = otherKb();
            out.println("other-growth-kb " + (after - before) + " (before " + before + " KB, after " + after + " KB, "
                    + rounds + " rounds of " + Math.max(1, commands.length) + " failing commands)");
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    static String[][] split(String[] args) {
        String joined = String.join("\u0000", java.util.Arrays.copyOfRange(args, 3, args.length));
        String[] parts = joined.split("\u0000;\u0000");
        String[][] out = new String[parts.length][];
        for (int i = 0; i < parts.length; i++) out[i] = parts[i].split("\u0000");
        return out;
    }

    static Path unused() { return null; }
}
