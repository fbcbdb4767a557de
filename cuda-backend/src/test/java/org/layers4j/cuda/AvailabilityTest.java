package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.Backends;
import org.layers4j.config.Config;
import org.layers4j.spi.Availability;
import org.layers4j.spi.BackendProvider;

/**
 * The provider on a machine that cannot run CUDA (every CI machine): found by ServiceLoader above the
 * CPU, unavailable with a precise reason, {@code auto} falls back to the CPU, asking for cuda fails
 * with the reason, and a separate JVM asking for it exits non-zero without crashing.
 */
class AvailabilityTest {

    private static Availability unavailableHere() {
        Availability a = new CudaBackendProvider().availability();
        assumeFalse(a.available(), "this machine can run CUDA; the unavailable path is tested on machines without");
        return a;
    }

    @Test
    void serviceLoaderFindsCudaAboveTheCpu() {
        List<BackendProvider> providers = Backends.providers();
        assertEquals("cuda", providers.get(0).name());
        assertEquals(100, providers.get(0).priority());
        assertTrue(providers.stream().anyMatch(p -> p.name().equals("cpu") && p.priority() < 100));
    }

    @Test
    void unavailableWithAPreciseReason() {
        Availability a = unavailableHere();
        String r = a.reason();
        assertFalse(r.isBlank());
        assertTrue(r.startsWith("libcuda.so.1 not found") || r.startsWith("no CUDA device")
                || r.startsWith("libcudnn.so.9 not found") || r.startsWith("cuInit failed")
                || r.startsWith("the CUDA 12 runtime") || r.startsWith("cudnnCreate failed"), r);
        assertEquals(a, new CudaBackendProvider().availability(), "probed once, same answer");
    }

    @Test
    void autoPicksTheCpuAndAskingForCudaFailsWithTheReason() {
        Availability a = unavailableHere();
        Config auto = Config.of(Map.of(), Map.of(), Map.of());
        assertEquals("cpu", Backends.get(auto).name());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Backends.get(auto.with(Config.BACKEND, "cuda")));
        assertTrue(e.getMessage().contains(a.reason()), e.getMessage());
        IllegalStateException direct = assertThrows(IllegalStateException.class,
                () -> new CudaBackendProvider().create(0, auto));
        assertTrue(direct.getMessage().contains(a.reason()), direct.getMessage());
    }

    @Test
    void aSeparateJvmAskingForCudaExitsNonZeroWithTheReasonAndNoCrash(@TempDir Path dir) throws Exception {
        Availability a = unavailableHere();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // the reason holds an em dash: make the child's console encoding independent of the locale
        Process p = new ProcessBuilder(java, "-Dfile.encoding=UTF-8", "-Dsun.stdout.encoding=UTF-8",
                "-Dsun.stderr.encoding=UTF-8", "-cp", System.getProperty("java.class.path"),
                "org.layers4j.cuda.tools.GpuChecks", "info")
                .directory(dir.toFile()).redirectOutput(dir.resolve("out.txt").toFile())
                .redirectError(dir.resolve("err.txt").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe must not hang");
        String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
        String err = Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8);
        assertEquals(2, p.exitValue(), out + err);
        assertTrue(err.contains("CUDA unavailable: " + a.reason()), err);
        assertTrue(out.contains("cuda: unavailable: " + a.reason()), out);
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("hs_err")), "the JVM crashed");
        }
        assertFalse(err.contains("SIGSEGV") || err.contains("A fatal error has been detected"), err);
    }

    @Test
    void listingProvidersLoadsNoNativeLibraryOnlyTheProbeDoes(@TempDir Path dir) throws Exception {
        // JCuda extracts its JNI libraries into java.io.tmpdir when (and only when) a native class initializes
        Path tmp = Files.createDirectory(dir.resolve("tmp"));
        assertEquals("cuda 100\ncpu 10", runLister(dir, tmp, "list").strip());
        try (Stream<Path> files = Files.list(tmp)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("libJ")),
                    "listing the providers loaded a native library");
        }
        String probed = runLister(dir, tmp, "probe");
        assertTrue(probed.startsWith("cuda "), probed);
        try (Stream<Path> files = Files.list(tmp)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("libJCud")),
                    "the probe should have loaded JCuda's libraries: " + probed);
        }
    }

    private static String runLister(Path dir, Path tmp, String what) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve(what + ".txt");
        Process p = new ProcessBuilder(java, "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"),
                ProviderLister.class.getName(), what).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String text = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        return text;
    }
}
