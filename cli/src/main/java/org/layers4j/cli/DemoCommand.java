package org.layers4j.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.layers4j.spi.Backend;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Walks through the original notebook's examples, printing shapes and tensors as PyTorch does. */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, ExitCodes.L_USAGE, ExitCodes.L_CANNOT_RUN, ExitCodes.L_INTERNAL_ERROR},
        description = "Walk through the notebook's examples: Conv1d on sentences, ReLU, Conv2d on"
        + " arange(98), the four padding modes, groups.")
final class DemoCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    BackendOption backend;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Backend be = backend.resolve();
        out.println("layers4j demo: the notebook's examples, running on backend " + be.name());
        int i = 1;
        for (Notebook.Step step : new Notebook(be).steps()) {
            out.println();
            out.println("== " + i++ + ". " + step.title());
            out.println(">>> " + step.layer());
            for (Notebook.Printed p : step.parameters()) {
                out.println(p.label() + ": Parameter containing:");
                out.println(org.layers4j.io.TensorText.format(p.values(), p.shape(), p.suffix()));
            }
            if (step.input() != null) {
                print(out, step.input());
            }
            print(out, step.output());
        }
        out.flush();
        return 0;
    }

    private static void print(PrintWriter out, Notebook.Printed p) {
        out.println(p.label() + " " + p.shape() + ":");
        out.println(org.layers4j.io.TensorText.format(p.values(), p.shape(), p.suffix()));
    }
}
