package org.layers4j.cli;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import org.layers4j.Backends;
import org.layers4j.config.Config;
import org.layers4j.spi.Availability;
import org.layers4j.spi.Backend;
import org.layers4j.spi.BackendProvider;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Every backend, available or not and why; the configuration in force and where each value came from. */
@Command(name = "info", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, ExitCodes.L_USAGE, ExitCodes.L_CANNOT_RUN, ExitCodes.L_INTERNAL_ERROR},
        description = "Show the backends (available or not, and why) and the configuration in force. Exit 3 when no"
        + " backend is available.")
final class InfoCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("layers4j %s on Java %s (%s %s)%n", Main.version(), System.getProperty("java.version"),
                System.getProperty("os.name"), System.getProperty("os.arch"));
        out.println("backends (highest priority first):");
        String firstAvailable = null;
        for (BackendProvider p : Backends.providers()) {
            Availability a = p.availability();
            if (a.available()) {
                out.printf("  %s: available (priority %d)%n", p.name(), p.priority());
                if (firstAvailable == null) {
                    firstAvailable = p.name();
                }
            } else {
                out.printf("  %s: unavailable — %s (priority %d)%n", p.name(), a.reason(), p.priority());
            }
            a.details().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> out.printf("      %s: %s%n", e.getKey(), e.getValue()));
        }
        Config config = Config.load();
        out.println("configuration:");
        Config.Value backend = config.get(Config.BACKEND, "auto");
        print(out, backend);
        print(out, config.get(Config.CPU_THREADS, String.valueOf(Runtime.getRuntime().availableProcessors())));
        config.entries().values().stream()
                .filter(v -> !v.key().equals(Config.BACKEND) && !v.key().equals(Config.CPU_THREADS))
                .forEach(v -> print(out, v));
        String selected;
        try {
            Backend b = Backends.get(config);
            selected = b.name();
        } catch (RuntimeException e) {
            selected = "none — " + e.getMessage();
        }
        out.printf("selected backend: %s%n", selected);
        return firstAvailable == null ? ExitCodes.CANNOT_RUN : ExitCodes.OK;
    }

    private static void print(PrintWriter out, Config.Value v) {
        out.printf("  %s = %s (%s%s)%n", v.key(), v.value(), v.source().description(),
                v.source() == Config.Source.DEFAULT || v.source() == Config.Source.API ? "" : ": " + v.origin());
    }
}
