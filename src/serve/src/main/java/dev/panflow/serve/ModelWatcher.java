package dev.panflow.serve;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Watches one file through its folder (a {@link WatchService}: an atomic writer's rename shows
 * as a create of the file, an in-place writer as modifications) and, once the folder has been
 * quiet for {@code debounce} after a change of the file, hands the file to {@code changed}.
 * One daemon thread; {@link #close} stops it.
 */
final class ModelWatcher implements AutoCloseable {
    private final WatchService service;
    private final Thread thread;

    ModelWatcher(Path file, Duration debounce, Consumer<Path> changed) {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent(), name = abs.getFileName();
        try {
            service = FileSystems.getDefault().newWatchService();
            dir.register(service, ENTRY_CREATE, ENTRY_MODIFY);
        } catch (IOException e) {
            throw new dev.panflow.UserError("cannot watch " + dir + " for changes of " + name + ": " + e.getMessage());
        }
        long quietNanos = debounce.toNanos();
        thread = Thread.ofPlatform().name("panflow-model-watch").daemon().start(() -> {
            try {
                while (true) {
                    WatchKey key = service.take();
                    boolean ours = false;
                    for (WatchEvent<?> e : key.pollEvents()) ours |= e.kind() == OVERFLOW || name.equals(e.context());
                    if (!key.reset()) return; // the folder is gone
                    if (!ours) continue;
                    // Debounce: a writer may still be at it; wait until nothing changes in the folder for a while.
                    for (WatchKey more; (more = service.poll(quietNanos, TimeUnit.NANOSECONDS)) != null; ) {
                        more.pollEvents();
                        if (!more.reset()) return;
                    }
                    changed.accept(abs);
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                // closed
            }
        });
    }

    @Override
    public void close() {
        try {
            service.close();
        } catch (IOException e) {
            // nothing left to release
        }
        thread.interrupt();
    }
}
