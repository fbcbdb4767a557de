package org.layers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Issue 11: help on every command, one exit code per meaning, a real version, bench's progress line. */
class CliConventionsTest {

    /** Every subcommand Main declares (so a new one is covered without touching this test), less picocli's help. */
    static Stream<String> subcommands() {
        return new CommandLine(new Main()).getSubcommands().keySet().stream().filter(n -> !n.equals("help"));
    }

    @ParameterizedTest
    @MethodSource("subcommands")
    void everySubcommandAnswersHelpAndDashHWithItsUsageAndExitCodes(String name) {
        for (String flag : List.of("--help", "-h")) {
            CliTestSupport.Run r = CliTestSupport.run(name, flag);
            assertEquals(0, r.exitCode(), name + " " + flag + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: layers4j " + name + " "), r.out());
            assertTrue(r.out().contains("\nExit codes:\n"), r.out());
            assertTrue(r.out().contains("  0   success"), r.out());
            assertTrue(r.out().contains("  2   usage error"), r.out());
            assertTrue(r.out().contains("  3   cannot run"), r.out());
            assertEquals("", r.err());
        }
        CliTestSupport.Run viaHelp = CliTestSupport.run("help", name);
        assertEquals(0, viaHelp.exitCode());
        assertTrue(viaHelp.out().startsWith("Usage: layers4j " + name + " "), viaHelp.out());
    }

    @Test
    void topLevelHelpListsEveryExitCode() {
        CliTestSupport.Run r = CliTestSupport.run("--help");
        assertEquals(0, r.exitCode());
        for (String line : List.of("  0   success", "  1   a check failed", "  2   usage error", "  3   cannot run",
                "  4   nothing to do", "  5   internal error")) {
            assertTrue(r.out().contains(line), line + " in\n" + r.out());
        }
        assertTrue(CliTestSupport.run("conformance", "--help").out().contains("  4   nothing to do"));
        assertTrue(CliTestSupport.run("conformance", "--help").out().contains("  1   a check failed"));
    }

    @Test
    void theExitCodesAreDistinct() {
        assertEquals(6, Stream.of(ExitCodes.OK, ExitCodes.CHECK_FAILED, ExitCodes.USAGE, ExitCodes.CANNOT_RUN,
                ExitCodes.NOTHING_TO_DO, ExitCodes.INTERNAL_ERROR).distinct().count());
        assertEquals(CommandLine.ExitCode.USAGE, ExitCodes.USAGE, "picocli's own code for a bad command line");
    }

    @Test
    void versionIsTheProjectVersionOnTheTopLevelAndEverySubcommand() {
        String expected = System.getProperty("layers4j.version");
        assertTrue(expected != null && !expected.isBlank(), "surefire passes layers4j.version");
        for (String[] args : List.of(new String[] {"-V"}, new String[] {"--version"}, new String[] {"demo", "-V"},
                new String[] {"bench", "--version"})) {
            CliTestSupport.Run r = CliTestSupport.run(args);
            assertEquals(0, r.exitCode());
            assertEquals("layers4j " + expected, r.out().lines().findFirst().orElse(""), String.join(" ", args));
        }
        assertFalse(Main.version().contains("development"), Main.version());
        assertTrue(CliTestSupport.run("info").out().startsWith("layers4j " + expected + " on Java "));
    }

    @Test
    void usageErrorsExitTwo(@TempDir Path dir) {
        assertEquals(ExitCodes.USAGE, CliTestSupport.run("demo", "--no-such-option").exitCode());
        assertEquals(ExitCodes.USAGE, CliTestSupport.run("no-such-command").exitCode());
        assertEquals(ExitCodes.USAGE, CliTestSupport.run("conformance").exitCode(), "DIR is required");
        assertEquals(ExitCodes.USAGE, CliTestSupport.run("run", "model.safetensors").exitCode(), "INPUT is required");
        assertEquals(ExitCodes.USAGE, CliTestSupport.run("bench", "--reps", "many").exitCode());
        CliTestSupport.Run r = CliTestSupport.run("bench", "--backend", "cpu", "--reps", "0");
        assertEquals(ExitCodes.USAGE, r.exitCode());
        assertTrue(r.err().startsWith("--reps must be >= 1"), r.err());
        assertEquals(ExitCodes.USAGE, CliTestSupport.run("bench", "--backend", "cpu", "--threads", "0").exitCode());
        assertEquals(ExitCodes.USAGE, CliTestSupport.run("bench", "--backend", "cpu", "--model", "resnet18",
                "--input-shape", "8,x").exitCode());
        CliTestSupport.Run noCase = CliTestSupport.run("bench", "--backend", "cpu", "--case", "nope");
        assertEquals(ExitCodes.USAGE, noCase.exitCode());
        assertTrue(noCase.err().contains("--case nope: the suite has no such case"), noCase.err());
    }

    @Test
    void cannotRunExitsThree(@TempDir Path dir) throws Exception {
        CliTestSupport.Run r = CliTestSupport.run("demo", "--backend", "tpu");
        assertEquals(ExitCodes.CANNOT_RUN, r.exitCode());
        assertTrue(r.err().startsWith("error: "), r.err());
        // a missing input file: one line naming it, no stack trace
        Path input = dir.resolve("input.safetensors");
        CliTestSupport.Run missing = CliTestSupport.run("run", "--backend", "cpu", dir.resolve("m.safetensors").toString(),
                input.toString());
        assertEquals(ExitCodes.CANNOT_RUN, missing.exitCode(), missing.err());
        assertEquals(1, missing.err().lines().count(), missing.err());
        assertTrue(missing.err().contains(input + ": no such file"), missing.err());
        Files.writeString(dir.resolve("bad.safetensors"), "not a safetensors file");
        CliTestSupport.Run bad = CliTestSupport.run("train-textcnn", "--backend", "cpu", "--data",
                dir.resolve("bad.safetensors").toString());
        assertEquals(ExitCodes.CANNOT_RUN, bad.exitCode(), bad.err());
        assertFalse(bad.err().contains("\tat "), bad.err());
    }

    @Test
    void progressLineCountsAndEstimatesTheTimeLeftFromTheCasesDone() {
        assertEquals("bench 1/9 resnet3x3 ...", BenchCommand.progress(1, 9, "resnet3x3", 0));
        // 2 cases done in 4 s: 2 s a case, 7 left
        assertEquals("bench 3/9 resnet3x3 ... about 14 s left", BenchCommand.progress(3, 9, "resnet3x3", 4_000_000_000L));
        assertEquals("bench 2/2 last ... about 1 s left", BenchCommand.progress(2, 2, "last", 300_000_000L));
        assertEquals("bench 2/11 big ... about 5 min left", BenchCommand.progress(2, 11, "big", 30_000_000_000L));
        Pattern format = Pattern.compile("bench \\d+/\\d+ \\S+ \\.\\.\\.( about \\d+ (s|min|h) left)?");
        for (int i = 1; i <= 5; i++) {
            assertTrue(format.matcher(BenchCommand.progress(i, 5, "c", i * 1_234_567_890L)).matches());
        }
    }

    @Test
    void benchPrintsTheProgressCountOnStderrForEachCase(@TempDir Path dir) throws Exception {
        Path suite = dir.resolve("suite.json");
        String c = "{\"name\":\"%s\",\"op\":\"conv1d\",\"n\":1,\"cin\":2,\"cout\":2,\"size\":8,\"kernel\":3,\"padding\":1}";
        Files.writeString(suite, "{\"cases\":[" + String.format(c, "a") + "," + String.format(c, "b") + ","
                + String.format(c, "c") + "]}");
        CliTestSupport.Run r = CliTestSupport.run("bench", "--backend", "cpu", "--threads", "1", "--reps", "1",
                "--warmup", "0", "--warmup-seconds", "0", "--case", "a", "--case", "c", suite.toString());
        assertEquals(0, r.exitCode(), r.err());
        List<String> progress = r.err().lines().filter(l -> l.startsWith("bench ")).toList();
        assertEquals(2, progress.size(), r.err());
        assertEquals("bench 1/2 a ...", progress.get(0));
        assertTrue(progress.get(1).matches("bench 2/2 c \\.\\.\\. about \\d+ s left"), progress.get(1));
    }
}
