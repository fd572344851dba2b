package dev.panflow.mpi;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Without libmpi, --distributed stops with one line naming the package, not a linker stack trace. */
class MpiMissingTest {
    @Test
    void missingLibraryNamesThePackage() {
        UserError e = assertThrows(UserError.class, () -> Mpi.open(List.of("libmpi-not-here.so.40", "/nonexistent/libmpi.so.40")));
        String m = e.getMessage();
        assertTrue(m.startsWith("Open MPI not found"), m);
        assertTrue(m.contains("apt-get install openmpi-bin libopenmpi-dev"), m);
        assertFalse(m.contains("\n"), "one line: " + m);
    }
}
