package org.layers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.testing.TestData;

/** Issue 10: malformed suites and unreadable cases give one line, never a stack trace, and never run anything. */
class HostileInputCliTest {

    private static CliTestSupport.Run bench(Path dir, String suite) throws Exception {
        Path f = dir.resolve("suite.json");
        Files.writeString(f, suite, StandardCharsets.UTF_8);
        return CliTestSupport.run("bench", "--backend", "cpu", "--reps", "1", "--warmup", "0", f.toString());
    }

    private static void rejected(CliTestSupport.Run r, String... parts) {
        assertEquals(ExitCodes.CANNOT_RUN, r.exitCode(), r.out() + r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        for (String p : parts) {
            assertTrue(r.err().contains(p), r.err());
        }
    }

    @Test
    void benchRejectsAMalformedOrEmptySuiteWithOneLineAndExitThreeCannotRun(@TempDir Path dir) throws Exception {
        rejected(bench(dir, "{\"cases\": [ {\"name\": "), "not valid JSON");
        rejected(bench(dir, "{}"), "non-empty \"cases\"");
        rejected(bench(dir, "{\"cases\": []}"), "non-empty \"cases\"");
        rejected(bench(dir, "[1, 2]"), "JSON object");
        rejected(bench(dir, "{\"cases\": [{\"name\": \"c\", \"op\": \"conv3d\", \"n\": 1, \"cin\": 1, \"cout\": 1,"
                + " \"size\": [4, 4, 4], \"kernel\": 3}]}"), "\"op\" must be \"conv1d\" or \"conv2d\"", "conv3d");
        rejected(bench(dir, "{\"cases\": [{\"name\": \"c\", \"op\": \"conv2d\", \"n\": \"one\", \"cin\": 1, \"cout\": 1,"
                + " \"size\": [4, 4], \"kernel\": 3}]}"), "\"n\" must be an int", "\"one\"");
        rejected(bench(dir, "{\"cases\": [{\"name\": \"c\", \"op\": \"conv2d\", \"n\": 1, \"cin\": 1, \"cout\": 1,"
                + " \"size\": [4, 4], \"kernel\": 7}]}"), "benchmark case 0 (c)", "Kernel size");
        rejected(CliTestSupport.run("bench", "--backend", "cpu", dir.resolve("missing.json").toString()), "no such file");
    }

    @Test
    void benchStillRunsAWellFormedSuite(@TempDir Path dir) throws Exception {
        CliTestSupport.Run r = bench(dir, "{\"cases\": [{\"name\": \"tiny\", \"op\": \"conv1d\", \"n\": 1, \"cin\": 2,"
                + " \"cout\": 2, \"size\": 8, \"kernel\": 3, \"padding\": 1}]}");
        assertEquals(0, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("tiny"), r.out());
    }

    @Test
    void conformanceReportsAnUnreadableCaseAsFailAndRunsTheNext(@TempDir Path dir) throws Exception {
        Files.copy(TestData.fixtureDir().resolve("relu_3d.safetensors"), dir.resolve("b_relu.safetensors"));
        byte[] garbage = new byte[64];
        garbage[0] = (byte) 0xff;
        garbage[1] = (byte) 0xff;
        garbage[2] = (byte) 0xff;
        garbage[3] = (byte) 0x7f;
        Files.write(dir.resolve("a_broken.safetensors"), garbage);
        Files.write(dir.resolve("c_empty.safetensors"), new byte[0]);
        CliTestSupport.Run r = CliTestSupport.run("conformance", "--backend", "cpu", dir.toString());
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("FAIL  a_broken"), r.out());
        assertTrue(r.out().contains("FAIL  c_empty"), r.out());
        assertTrue(r.out().contains("PASS  b_relu"), r.out());
        assertTrue(r.out().endsWith("1 passed, 2 failed\n"), r.out());
        assertFalse(r.out().contains("\tat "), r.out());
    }

    @Test
    void aNonNumericFixtureFieldFailsItsCaseNamingTheField(@TempDir Path dir) throws Exception {
        org.layers4j.io.SafeTensors.Contents c = org.layers4j.io.SafeTensors.read(
                TestData.fixtureDir().resolve("conv1d_basic.safetensors"));
        java.util.Map<String, String> meta = new java.util.LinkedHashMap<>(c.metadata());
        String key = meta.containsKey("in_channels") ? "in_channels" : meta.keySet().stream()
                .filter(k -> meta.get(k).matches("\\d+")).findFirst().orElseThrow();
        meta.put(key, "four");
        org.layers4j.io.SafeTensors.write(dir.resolve("nonnumeric.safetensors"), c.tensors(), meta);
        CliTestSupport.Run r = CliTestSupport.run("conformance", "--backend", "cpu", dir.toString());
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("FAIL  nonnumeric") && r.out().contains("'" + key + "' must be an integer")
                && !r.out().contains("NumberFormatException"), r.out());
    }
}
