package org.layers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.testing.TestData;

class CommandsTest {

    @Test
    void conformancePassesEveryFixtureOnTheCpuAndEndsWithTheCount() {
        CliTestSupport.Run r = CliTestSupport.run("conformance", "--backend", "cpu", TestData.fixtureDir().toString());
        assertEquals(0, r.exitCode(), r.out());
        String[] lines = r.out().split("\n");
        assertEquals("backend: cpu", lines[0]);
        assertEquals("39 passed, 0 failed", lines[lines.length - 1]);
        assertEquals(39, r.out().lines().filter(l -> l.startsWith("PASS  ")).count());
    }

    @Test
    void conformanceExitsFourNothingToDoWhenNoCaseIsFound(@TempDir Path empty) {
        CliTestSupport.Run r = CliTestSupport.run("conformance", "--backend", "cpu", empty.toString());
        assertEquals(ExitCodes.NOTHING_TO_DO, r.exitCode());
        assertTrue(r.out().endsWith("0 passed, 0 failed\n"), r.out());
    }

    @Test
    void conformanceExitsThreeCannotRunForAMissingDirectoryBeforeTouchingTheBackend(@TempDir Path dir) {
        // the backend named does not exist: the directory is checked first
        CliTestSupport.Run r = CliTestSupport.run("conformance", "--backend", "tpu", dir.resolve("nope").toString());
        assertEquals(ExitCodes.CANNOT_RUN, r.exitCode());
        assertTrue(r.err().contains("not a directory"), r.err());
        assertTrue(r.out().endsWith("0 passed, 0 failed\n"), r.out());
    }

    @Test
    void conformanceExitsOneAndSaysFailWhenACaseDoesNotMatch(@TempDir Path dir) throws Exception {
        // a case whose expected output was altered: the layer's true output no longer matches
        byte[] bytes = Files.readAllBytes(TestData.fixtureDir().resolve("relu_3d.safetensors"));
        org.layers4j.io.SafeTensors.Contents c = org.layers4j.io.SafeTensors.parse(bytes);
        java.util.Map<String, org.layers4j.io.HostTensor> t = new java.util.LinkedHashMap<>(c.tensors());
        float[] out = t.get("output").data().clone();
        out[1] += 1;
        t.put("output", new org.layers4j.io.HostTensor(t.get("output").shape(), out));
        org.layers4j.io.SafeTensors.write(dir.resolve("altered.safetensors"), t, c.metadata());
        CliTestSupport.Run r = CliTestSupport.run("conformance", "--backend", "cpu", dir.toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.out().contains("FAIL  altered"), r.out());
        assertTrue(r.out().endsWith("0 passed, 1 failed\n"), r.out());
    }

    @Test
    void unknownBackendIsAnErrorNamingTheChoices() {
        CliTestSupport.Run r = CliTestSupport.run("conformance", "--backend", "tpu", TestData.fixtureDir().toString());
        assertEquals(Main.CANNOT_RUN, r.exitCode());
        assertTrue(r.err().contains("layers4j.backend 'tpu' is unknown: expected auto, "), r.err());
    }

    @Test
    void infoListsTheCpuBackendAndWhereTheConfigurationCameFrom() {
        CliTestSupport.Run r = CliTestSupport.run("info");
        assertTrue(r.out().contains("  cpu: available (priority 10)"), r.out());
        assertTrue(r.out().contains("  layers4j.backend = auto (default)"), r.out());
        assertTrue(r.out().contains("selected backend: "), r.out());
    }

    @Test
    void benchWritesMediansAndGflopsAsJson(@TempDir Path dir) throws Exception {
        Path suite = dir.resolve("suite.json");
        Files.writeString(suite, "{\"cases\":[{\"name\":\"tiny\",\"op\":\"conv2d\",\"n\":1,\"cin\":2,\"cout\":4,"
                + "\"size\":[8,8],\"kernel\":[3,3],\"stride\":[1,1],\"padding\":[1,1],\"dilation\":[1,1],\"groups\":1}]}");
        Path json = dir.resolve("out.json");
        CliTestSupport.Run r = CliTestSupport.run("bench", "--backend", "cpu", "--threads", "1", "--reps", "3",
                "--warmup", "1", "--warmup-seconds", "0", "--json", json.toString(), suite.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals("cpu", root.path("backend").asText());
        assertEquals("tiny", root.path("results").get(0).path("name").asText());
        assertTrue(root.path("results").get(0).path("median_ms").asDouble() > 0);
        assertTrue(root.path("results").get(0).path("gflops").asDouble() > 0);
        assertTrue(r.err().contains("bench 1/1 tiny ..."), "progress on stderr: " + r.err());
    }
}
