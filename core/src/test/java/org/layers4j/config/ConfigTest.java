package org.layers4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTest {
    private final Config all = Config.of(Map.of("layers4j.backend", "cpu"), Map.of("LAYERS4J_BACKEND", "cuda",
            "LAYERS4J_CPU_THREADS", "3"), Map.of("layers4j.backend", "cuda:1", "layers4j.cpu.threads", "8",
            "layers4j.cuda.tf32", "true"));

    @Test
    void apiBeatsSystemPropertyBeatsEnvironmentBeatsFile() {
        assertEquals("cpu", all.get("layers4j.backend").orElseThrow().value());
        assertEquals(Config.Source.SYSTEM_PROPERTY, all.get("layers4j.backend").orElseThrow().source());
        assertEquals(Config.Source.API, all.with("layers4j.backend", "auto").get("layers4j.backend").orElseThrow().source());
        assertEquals(3, all.getInt("layers4j.cpu.threads", 1));
        assertEquals(Config.Source.ENVIRONMENT, all.get("layers4j.cpu.threads").orElseThrow().source());
        assertTrue(all.getBoolean("layers4j.cuda.tf32", false));
        assertEquals(Config.Source.PROPERTIES_FILE, all.get("layers4j.cuda.tf32").orElseThrow().source());
    }

    @Test
    void unsetKeyGivesTheDefaultMarkedAsDefault() {
        Config.Value v = all.get("layers4j.cuda.benchmark", "false");
        assertEquals(Config.Source.DEFAULT, v.source());
        assertEquals(7, all.getInt("layers4j.nothing", 7));
    }

    @Test
    void loadReadsLayers4jPropertiesFromTheClasspath(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Files.writeString(dir.resolve(Config.PROPERTIES_FILE), "layers4j.test.fromfile=42\n");
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        try (java.net.URLClassLoader cl = new java.net.URLClassLoader(new java.net.URL[] {dir.toUri().toURL()}, null)) {
            t.setContextClassLoader(cl);
            Config.Value v = Config.load().get("layers4j.test.fromfile").orElseThrow();
            assertEquals("42", v.value());
            assertEquals(Config.Source.PROPERTIES_FILE, v.source());
            assertTrue(v.origin().endsWith(Config.PROPERTIES_FILE), v.origin());
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    @Test
    void environmentNameIsUpperCaseWithUnderscores() {
        assertEquals("LAYERS4J_CPU_THREADS", Config.environmentName("layers4j.cpu.threads"));
    }

    @Test
    void malformedValuesAreRejectedNamingKeyValueAndSource() {
        Config c = Config.of(Map.of("layers4j.cpu.threads", "many", "layers4j.cuda.tf32", "yes"), Map.of(), Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.getInt("layers4j.cpu.threads", 1));
        assertEquals("layers4j.cpu.threads must be an integer, but got 'many' from system property -Dlayers4j.cpu.threads",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.getBoolean("layers4j.cuda.tf32", false));
    }

    @Test
    void entriesListEveryKeyInForceWithItsSource() {
        Map<String, Config.Value> e = all.entries();
        assertEquals("cpu", e.get("layers4j.backend").value());
        assertEquals("3", e.get("layers4j.cpu.threads").value());
        assertEquals("true", e.get("layers4j.cuda.tf32").value());
    }

    @Test
    void aMisspeltKeyIsReportedWithTheNearestKnownKey() {
        Config c = Config.of(Map.of("layers4j.cpu.thread", "7"), Map.of("LAYERS4J_CUDA_WORKSPACELIMITBYTES", "1"), Map.of());
        java.util.List<String> u = c.unknownKeys(java.util.Set.of("layers4j.cpu.threads", "layers4j.cuda.workspaceLimitBytes"));
        assertEquals(java.util.List.of("layers4j.cpu.thread (from -Dlayers4j.cpu.thread): did you mean layers4j.cpu.threads?"), u);
    }
}
