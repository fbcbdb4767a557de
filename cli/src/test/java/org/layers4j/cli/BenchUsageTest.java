package org.layers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** bench's usage: conflicting modes are refused, --help lists the bundled cases and names nothing a user lacks. */
class BenchUsageTest {
    @Test
    void backwardWithTrainIsAUsageError() {
        CliTestSupport.Run r = CliTestSupport.run("bench", "--model", "resnet18", "--backward", "--train",
                "--input-shape", "1,3,32,32", "--reps", "1");
        assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
        assertTrue(r.err().contains("--backward and --train cannot be combined"), r.err());
        assertFalse(r.out().contains("median"), r.out());
    }

    @Test
    void trainWithoutModelIsAUsageError() {
        CliTestSupport.Run r = CliTestSupport.run("bench", "--train", "--reps", "1");
        assertEquals(ExitCodes.USAGE, r.exitCode(), r.err());
        assertTrue(r.err().contains("--train needs --model"), r.err());
    }

    @Test
    void profileNeedsAModelsEvalForward() {
        CliTestSupport.Run suite = CliTestSupport.run("bench", "--profile", "2", "--reps", "1");
        assertEquals(ExitCodes.USAGE, suite.exitCode(), suite.err());
        assertTrue(suite.err().contains("--profile RUNS (>= 1) profiles the eval forward of --model"), suite.err());
        CliTestSupport.Run zero = CliTestSupport.run("bench", "--model", "resnet18", "--profile", "0", "--reps", "1");
        assertEquals(ExitCodes.USAGE, zero.exitCode(), zero.err());
        CliTestSupport.Run nodes = CliTestSupport.run("bench", "--model", "resnet18", "--profile", "2",
                "--profile-nodes", "0", "--reps", "1");
        assertEquals(ExitCodes.USAGE, nodes.exitCode(), nodes.err());
        assertTrue(nodes.err().contains("--profile-nodes must be >= 1, got 0"), nodes.err());
    }

    @Test
    void preparedTimesTheSuitesForwardOnly() {
        CliTestSupport.Run both = CliTestSupport.run("bench", "--prepared", "--backward", "--reps", "1");
        assertEquals(ExitCodes.USAGE, both.exitCode(), both.err());
        assertTrue(both.err().contains("--prepared times the suite's forward convolutions"), both.err());
        CliTestSupport.Run r = CliTestSupport.run("bench", "--backend", "cpu", "--threads", "1", "--prepared", "--case",
                "grouped3x3", "--reps", "1", "--warmup", "0", "--warmup-seconds", "0");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("forward on prepared weights"), r.out());
        assertTrue(r.out().matches("(?s).*grouped3x3 +[0-9.]+ ms +[0-9.]+ GFLOP/s.*"), r.out());
    }

    @Test
    void helpListsTheBundledCasesAndNoRepositoryPaths() throws Exception {
        CliTestSupport.Run r = CliTestSupport.run("bench", "--help");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode suite;
        try (InputStream in = BenchCommand.class.getResourceAsStream("suite.json")) {
            suite = new ObjectMapper().readTree(in);
        }
        assertTrue(suite.path("cases").size() > 0);
        assertTrue(r.out().contains("Cases of the bundled convolution suite"), r.out());
        for (JsonNode c : suite.path("cases")) {
            assertTrue(r.out().contains("  " + c.path("name").asText() + " "), c.path("name") + " not in:\n" + r.out());
        }
        assertFalse(r.out().contains("shared/"), r.out());
        assertFalse(r.out().toLowerCase(java.util.Locale.ROOT).contains("notebook"), r.out());
    }
}
