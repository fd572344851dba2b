package dev.panflow.backend;

import java.nio.file.Path;

/** Settings a backend may need when it opens: a folder searched first for its native libraries (or null). */
public record BackendOptions(Path libraryDir) {
    public static final BackendOptions DEFAULT = new BackendOptions(null);
}
