package dev.panflow.nativelib;

import dev.panflow.UserError;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A native library opened on first use, with downcall handles looked up by name. A missing
 * library or symbol is a {@link UserError} naming what to install, never a crash.
 */
public final class NativeLibrary {
    private final String what;
    private final String installHint;
    private final List<String> hintParameters;
    private final SymbolLookup lookup;

    private NativeLibrary(String what, String installHint, List<String> hintParameters, SymbolLookup lookup) {
        this.what = what;
        this.installHint = installHint;
        this.hintParameters = hintParameters;
        this.lookup = lookup;
    }

    /**
     * Opens the first of {@code candidates} (file names searched by the system loader, or absolute
     * paths) that loads, in the global arena (native libraries stay loaded for the JVM's life).
     */
    public static NativeLibrary open(String what, String installHint, List<String> candidates) {
        return open(what, installHint, List.of(), candidates);
    }

    /** The same, with a hint that names the library parameters {@code hintParameters} (see {@link UserError#parameters()}). */
    public static NativeLibrary open(String what, String installHint, List<String> hintParameters, List<String> candidates) {
        StringBuilder tried = new StringBuilder();
        for (String name : candidates) {
            try {
                Path p = Path.of(name);
                SymbolLookup l = p.isAbsolute() && Files.exists(p)
                        ? SymbolLookup.libraryLookup(p, Arena.global())
                        : SymbolLookup.libraryLookup(name, Arena.global());
                return new NativeLibrary(what, installHint, hintParameters, l);
            } catch (IllegalArgumentException e) {
                tried.append(tried.isEmpty() ? "" : ", ").append(name);
            }
        }
        throw new UserError(what + " not found (tried " + tried + "): " + installHint, hintParameters);
    }

    public MemorySegment symbol(String name) {
        return lookup.find(name).orElseThrow(() ->
                new UserError(what + " has no symbol " + name + " (wrong version?): " + installHint, hintParameters));
    }

    public MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        return Linker.nativeLinker().downcallHandle(symbol(name), fd, options);
    }
}
