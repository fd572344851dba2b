package dev.panflow.api;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VectorApiTest {
    @Test
    void aMissingModuleIsNamedWithTheFlag() {
        assertDoesNotThrow(() -> VectorApi.require()); // surefire starts this JVM with the flag
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> VectorApi.require(ModuleLayer.empty()));
        assertTrue(e.getMessage().contains("--add-modules=jdk.incubator.vector"), e.getMessage());
    }
}
