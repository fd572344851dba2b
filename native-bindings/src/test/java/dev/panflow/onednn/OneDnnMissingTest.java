package dev.panflow.onednn;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import dev.panflow.nativelib.NativeLibrary;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Without libdnnl the user gets one line naming the package, not a linker stack trace. */
class OneDnnMissingTest {
    @Test
    void missingLibraryNamesThePackage() {
        UserError e = assertThrows(UserError.class, () -> NativeLibrary.open("oneDNN", Dnnl.INSTALL_HINT,
                List.of("libdnnl-not-here.so.2", "/nonexistent/libdnnl.so.2")));
        String m = e.getMessage();
        assertTrue(m.startsWith("oneDNN not found"), m);
        assertTrue(m.contains("apt-get install libdnnl2"), m);
        assertTrue(!m.contains("\n"), "one line: " + m);
    }
}
