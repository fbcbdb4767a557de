package org.layers4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code layers4j} command line: {@code demo}, {@code info}, {@code conformance}, {@code bench}, {@code run}. */
@Command(name = "layers4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "PyTorch-exact neural-network layers and models for the JVM, on cuDNN or the CPU.",
        subcommands = {DemoCommand.class, InfoCommand.class, ConformanceCommand.class, BenchCommand.class, RunCommand.class, TrainTextCnnCommand.class,
                CommandLine.HelpCommand.class},
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, ExitCodes.L_CHECK_FAILED, ExitCodes.L_USAGE, ExitCodes.L_CANNOT_RUN,
                ExitCodes.L_NOTHING_TO_DO, ExitCodes.L_INTERNAL_ERROR})
public final class Main implements Runnable {
    /** Exit code when the command could not run at all (e.g. the backend asked for is unavailable). */
    static final int CANNOT_RUN = ExitCodes.CANNOT_RUN;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs a command line with the given streams and returns the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        return run(new Main(), args, out, err);
    }

    /** Runs {@code command} (a picocli command object) with this CLI's exception handling; tests pass their own. */
    static int run(Object command, String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(command);
        CommandLine bench = cl.getSubcommands().get("bench");
        if (bench != null) {
            bench.getCommandSpec().usageMessage().footer(BenchCommand.bundledCasesFooter());
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    || e instanceof IOException || e instanceof UncheckedIOException) {
                // the backend, a file or its contents: one line, no stack trace
                String msg = e instanceof java.nio.file.NoSuchFileException n ? n.getFile() + ": no such file"
                        : String.valueOf(e.getMessage());
                line.getErr().println("error: " + oneLine(msg));
                return ExitCodes.CANNOT_RUN;
            }
            e.printStackTrace(line.getErr());
            line.getErr().println("layers4j: internal error (exit " + ExitCodes.INTERNAL_ERROR + "), please report it");
            return ExitCodes.INTERNAL_ERROR;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            // the heap is too small for the model or the input: not a bug, and nothing a retry fixes without -Xmx
            err.println("error: out of memory (" + e.getMessage() + ") with a maximum heap of "
                    + (Runtime.getRuntime().maxMemory() >> 20) + " MiB; raise it, e.g. JAVA_OPTS=-Xmx"
                    + Math.max(2, 2 * ((Runtime.getRuntime().maxMemory() >> 30) + 1)) + "g");
            return ExitCodes.CANNOT_RUN;
        }
    }

    /**
     * A message as one line: a multi-line one (PyTorch's "Error(s) in loading state_dict for ...:" and one
     * line per key) joined with spaces, so its first line is not all that is shown; at most 2,000 characters.
     */
    static String oneLine(String msg) {
        String s = String.join(" ", msg.lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
        return s.length() <= 2000 ? s : s.substring(0, 2000) + " ...";
    }

    /** No command given: a usage error (exit 2), the usage on stderr. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** The version written at build time (build.properties, filtered by Maven), else the jar manifest's. */
    static String version() {
        String v = null;
        try (InputStream in = Main.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                v = p.getProperty("version");
                if (v != null && v.startsWith("${")) {
                    v = null; // not filtered: an IDE build
                }
            }
        } catch (IOException e) {
            v = null;
        }
        if (v == null) {
            v = Main.class.getPackage().getImplementationVersion();
        }
        return v == null ? "(development build)" : v;
    }

    /** {@code layers4j VERSION}, for {@code -V} / {@code --version} on every command. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"layers4j " + version(),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
