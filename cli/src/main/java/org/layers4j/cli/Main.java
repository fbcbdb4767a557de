package org.layers4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code layers4j} command line: {@code demo}, {@code info}, {@code conformance}, {@code bench}, {@code run}. */
@Command(name = "layers4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "PyTorch-exact neural-network layers and models for the JVM, on cuDNN or the CPU.",
        subcommands = {DemoCommand.class, InfoCommand.class, ConformanceCommand.class, BenchCommand.class, RunCommand.class, TrainTextCnnCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code when the command could not run at all (e.g. the backend asked for is unavailable). */
    static final int CANNOT_RUN = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs a command line with the given streams and returns the exit code. */
    static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
                line.getErr().println("error: " + e.getMessage());
                return CANNOT_RUN;
            }
            throw e;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"layers4j " + (v == null ? "(development build)" : v)};
        }
    }
}
