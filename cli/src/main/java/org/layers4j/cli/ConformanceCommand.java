package org.layers4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.layers4j.conformance.ConformanceCase;
import org.layers4j.spi.Backend;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Runs golden PyTorch cases through the public layer API and reports one line per case. */
@Command(name = "conformance", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, ExitCodes.L_CHECK_FAILED, ExitCodes.L_USAGE, ExitCodes.L_CANNOT_RUN,
                ExitCodes.L_NOTHING_TO_DO, ExitCodes.L_INTERNAL_ERROR},
        description = "Run every .safetensors case in the directories (forward, and backward"
        + " when the case has gradients). Exit 0 when all pass, 1 when any fails, 3 when a directory is missing or"
        + " unreadable, 4 when no case was found.")
final class ConformanceCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    BackendOption backend;

    @Parameters(arity = "1..*", paramLabel = "DIR", description = "directories holding .safetensors cases"
            + " (or single case files)")
    List<Path> dirs;

    @CommandLine.Option(names = "--save-trained", paramLabel = "DIR", description = "for graph cases with 'adam':"
            + " also write the model after the Adam step to DIR/<case>.safetensors (a model file PyTorch loads back)")
    Path saveTrained;

    @CommandLine.Option(names = "--save-computed", paramLabel = "DIR", description = "for graph cases: also write"
            + " what the case computed to DIR/<case>.computed.safetensors: every tensor it compared (the case's names)"
            + " and each ReLU node's output as relu.<node> (scripts/train_replay.py replays those decisions in float64)")
    Path saveComputed;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<Path> files;
        try {
            files = ConformanceCase.find(dirs);
        } catch (IOException e) {
            // a missing or unreadable directory: the command cannot run (exit 3), before touching the backend
            spec.commandLine().getErr().println("error: " + e.getMessage());
            out.println("0 passed, 0 failed");
            return ExitCodes.CANNOT_RUN;
        }
        if (files.isEmpty()) {
            out.println("no .safetensors case found in " + dirs);
            out.println("0 passed, 0 failed");
            return ExitCodes.NOTHING_TO_DO;
        }
        Backend be = backend.resolve();
        out.println("backend: " + be.name());
        int passed = 0;
        int failed = 0;
        for (Path file : files) {
            String name = file.getFileName().toString().replaceFirst("\\.safetensors$", "");
            try {
                ConformanceCase.Result r = ConformanceCase.load(file).run(be, saveTrained, saveComputed);
                if (r.passed()) {
                    passed++;
                    out.printf("PASS  %-32s max error %.3e%n", name, r.maxError());
                } else {
                    failed++;
                    StringBuilder why = new StringBuilder();
                    r.comparisons().stream().filter(c -> !c.passed()).forEach(c -> why.append(' ').append(c.tensor())
                            .append(String.format(" %.3e > %.3e", c.maxError(), c.tolerance())).append(c.problem()));
                    out.printf("FAIL  %-32s max error %.3e:%s%n", name, r.maxError(), why);
                }
            } catch (IOException | RuntimeException | OutOfMemoryError e) {
                // (an UncheckedIOException from --save-trained included)
                // an unreadable, malformed or too large file fails its case; the next case still runs
                failed++;
                String msg = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
                out.printf("FAIL  %-32s %s: %s%n", name, e.getClass().getSimpleName(), msg);
            }
        }
        out.println(passed + " passed, " + failed + " failed");
        out.flush();
        return failed > 0 ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
    }
}
