package org.layers4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The layers4j image, built from docker/Dockerfile, passes the conformance suite inside a
 * container, on the backend this host should give it: cuda when the container gets GPUs
 * ({@code -Pgpu}), the CPU backend otherwise, with CUDA reported unavailable and why.
 */
@ExtendWith(ContainerTestsEnabled.class) // first: without it no Docker engine is even probed
@Testcontainers(disabledWithoutDocker = true)
class ConformanceContainerIT {

    /** conformance's "backend: X" line (info's own line is "selected backend: X"). */
    private static final Pattern BACKEND_RAN = Pattern.compile("backend:\\s*(\\S+)");
    private static final Pattern SELECTED_BACKEND = Pattern.compile("selected backend:\\s*(\\S+)");
    /** info's CUDA line when it cannot be used: "cuda: unavailable — REASON (priority N)". */
    private static final Pattern CUDA_UNAVAILABLE =
            Pattern.compile("cuda:\\s*unavailable\\s*(?:—|-+|:)\\s*(.*?)\\s*(?:\\(priority -?\\d+\\))?");

    private static Layers4jImage image;
    private static String expectedBackend;

    @BeforeAll
    static void buildImage() {
        boolean gpus = ItSettings.gpu();
        image = Layers4jImage.fromRepository(ItSettings.repoRoot(), gpus);
        expectedBackend = gpus ? "cuda" : "cpu";
    }

    @AfterAll
    static void removeImage() {
        if (image != null) {
            image.close();
        }
    }

    @Test
    void defaultCommandPassesEveryFixtureOnTheExpectedBackend() throws Exception {
        Layers4jImage.Run run = image.run();

        assertEquals(0, run.exitCode(), () -> "container exit code\n" + run.allOutput());
        List<String> lines = run.stdoutLines();
        assertFalse(lines.isEmpty(), () -> "no output\n" + run.allOutput());
        long fixtures = image.fixtureCount();
        assertTrue(fixtures > 0, "no fixture files in fixtures/conformance");
        // The summary is the last line, and counts every fixture the image was built with.
        assertEquals(fixtures + " passed, 0 failed", lines.get(lines.size() - 1), () -> run.allOutput());
        assertEquals(expectedBackend, firstGroup(BACKEND_RAN, lines), () -> run.allOutput());
    }

    @Test
    void infoReportsCudaAccordingToTheHost() {
        Layers4jImage.Run run = image.run("layers4j", "info");

        assertEquals(0, run.exitCode(), () -> "container exit code\n" + run.allOutput());
        List<String> lines = run.stdoutLines();
        assertTrue(lines.stream().anyMatch(l -> l.matches("cpu:\\s*available.*")),
                () -> "the CPU backend is always available\n" + run.allOutput());
        assertEquals(expectedBackend, firstGroup(SELECTED_BACKEND, lines), () -> run.allOutput());
        if (expectedBackend.equals("cuda")) {
            assertTrue(lines.stream().anyMatch(l -> l.matches("cuda:\\s*available.*")),
                    () -> "GPUs were given to the container, so CUDA must be available\n" + run.allOutput());
        } else {
            String reason = lines.stream().map(CUDA_UNAVAILABLE::matcher).filter(Matcher::matches)
                    .map(m -> m.group(1)).findFirst().orElse(null);
            assertTrue(reason != null && !reason.isBlank(),
                    () -> "without GPUs info must report CUDA unavailable with a reason\n" + run.allOutput());
        }
    }

    /** The first group of the first stdout line that the pattern matches whole. */
    private static String firstGroup(Pattern pattern, List<String> lines) {
        return lines.stream().map(pattern::matcher).filter(Matcher::matches)
                .map(m -> m.group(1)).findFirst()
                .orElseThrow(() -> new AssertionError("no line matching " + pattern + " in:\n"
                        + String.join("\n", lines)));
    }
}
