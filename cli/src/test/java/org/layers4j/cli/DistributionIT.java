package org.layers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution (failsafe, after {@code mvn package} made it): unpacked into an empty directory,
 * {@code bin/layers4j} runs with a JRE alone, no Maven and no repository around it.
 */
class DistributionIT {
    @TempDir
    static Path unpacked;

    static Path home;

    record Result(int exitCode, String out, String err) {
    }

    @BeforeAll
    static void unpack() throws IOException {
        String fromFailsafe = System.getProperty("layers4j.dist.zip");
        Path zip = Path.of(fromFailsafe != null ? fromFailsafe : "target/layers4j-" + System.getProperty("layers4j.version") + ".zip");
        // failsafe runs after package and insists; surefire (-Dtest naming this class) only when a package made it
        Assumptions.assumeTrue(fromFailsafe != null || Files.isRegularFile(zip), "no " + zip + " yet: run mvn package");
        assertTrue(Files.isRegularFile(zip), "mvn package makes " + zip);
        // the zip file system keeps the entries' unix modes (bin/layers4j must arrive executable)
        try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + zip.toUri()), Map.of("enablePosixFileAttributes", "true"));
             Stream<Path> entries = Files.walk(fs.getPath("/"))) {
            for (Path e : entries.toList()) {
                Path to = unpacked.resolve(e.toString().substring(1));
                if (Files.isDirectory(e)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(e, to);
                    Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(e));
                }
            }
        }
        home = unpacked.resolve("layers4j-" + System.getProperty("layers4j.version"));
    }

    /** Runs bin/layers4j with an environment holding nothing of the build: java from JAVA_HOME or PATH only. */
    static Result launch(boolean viaJavaHome, String... args) throws Exception {
        Path javaBin = Path.of(System.getProperty("java.home"), "bin");
        List<String> cmd = new java.util.ArrayList<>(List.of(home.resolve("bin/layers4j").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(unpacked.toFile());
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("HOME", unpacked.toString());
        env.put("LANG", "C.UTF-8");
        env.put("JAVA_OPTS", "-Dlayers4j.backend=cpu");
        if (viaJavaHome) {
            env.put("JAVA_HOME", System.getProperty("java.home"));
            env.put("PATH", "/usr/bin:/bin");
        } else {
            env.put("PATH", javaBin + ":/usr/bin:/bin");
        }
        Path out = Files.createTempFile(unpacked, "out", ".txt");
        Path err = Files.createTempFile(unpacked, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "bin/layers4j finished");
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void theArchiveHoldsTheLauncherTheJarsTheLicenceAndTheReadme() throws IOException {
        assertTrue(Files.getPosixFilePermissions(home.resolve("bin/layers4j")).contains(PosixFilePermission.OWNER_EXECUTE));
        assertTrue(Files.readString(home.resolve("bin/layers4j")).startsWith("#!/bin/sh\n"));
        assertTrue(Files.isRegularFile(home.resolve("README.md")));
        assertTrue(Files.isRegularFile(home.resolve("LICENSE")));
        try (Stream<Path> lib = Files.list(home.resolve("lib"))) {
            Set<String> jars = Set.copyOf(lib.map(p -> p.getFileName().toString()).toList());
            String v = System.getProperty("layers4j.version");
            for (String jar : List.of("layers4j-cli-" + v + ".jar", "layers4j-core-" + v + ".jar", "layers4j-cpu-" + v + ".jar",
                    "layers4j-cuda-" + v + ".jar", "picocli-4.7.7.jar")) {
                assertTrue(jars.contains(jar), jar + " in " + jars);
            }
            assertTrue(jars.stream().noneMatch(j -> j.contains("junit") || j.contains("tests")), "no test jars: " + jars);
        }
    }

    @Test
    void demoRunsWithJavaOnThePathAlone() throws Exception {
        Result r = launch(false, "demo");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("layers4j demo: the notebook's examples, running on backend cpu\n"), r.out());
        assertTrue(r.out().contains(">>> Conv1d(6, 5, kernel_size=(3,), stride=(2,), padding=(1,))"), r.out());
    }

    @Test
    void versionAndExitCodesThroughJavaHome() throws Exception {
        Result v = launch(true, "-V");
        assertEquals(0, v.exitCode(), v.err());
        assertEquals("layers4j " + System.getProperty("layers4j.version"), v.out().lines().findFirst().orElse(""));
        Path empty = Files.createDirectories(unpacked.resolve("empty"));
        assertEquals(ExitCodes.NOTHING_TO_DO, launch(true, "conformance", empty.toString()).exitCode());
        assertEquals(ExitCodes.USAGE, launch(true, "demo", "--nope").exitCode());
        Result help = launch(true, "bench", "--help");
        assertEquals(0, help.exitCode(), help.err());
        assertTrue(help.out().contains("Exit codes:"), help.out());
    }

    @Test
    void aMissingJavaIsSaidAndExitsThree() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/layers4j").toString(), "demo");
        pb.environment().clear();
        pb.environment().put("PATH", "/nonexistent");
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(ExitCodes.CANNOT_RUN, p.exitValue(), out);
        assertTrue(out.contains("no java"), out);
    }
}
