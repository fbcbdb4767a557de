package org.layers4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.layers4j.DType;
import org.layers4j.Tensor;
import org.layers4j.graph.GraphModule;
import org.layers4j.io.HostTensor;
import org.layers4j.io.Models;
import org.layers4j.io.SafeTensors;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Runs a model file on an input file and prints the output as PyTorch prints a tensor. */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, ExitCodes.L_USAGE, ExitCodes.L_CANNOT_RUN, ExitCodes.L_INTERNAL_ERROR},
        description = "Run a model file (a graph or Sequential saved by Models.save or scripts/torch_models.py) in"
        + " eval mode on the tensor 'input' of a safetensors file (or its only tensor) and print the output as PyTorch"
        + " would; a model returning a dict or tuple prints each tensor under its key or index.")
final class RunCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    BackendOption backend;

    @Parameters(index = "0", paramLabel = "MODEL", description = "the model file (.safetensors, or an ONNX model: .onnx)")
    Path model;

    @Parameters(index = "1", paramLabel = "INPUT", description = "a .safetensors file with the input tensor")
    Path input;

    @Option(names = "--output", paramLabel = "FILE", description = "also write the output to FILE: tensor 'output', or"
            + " for a dict / tuple output one tensor per key ('out', 'aux') or index ('0', '1')")
    Path output;

    /** The tensor 'input' of a safetensors file, or its only tensor (IllegalArgumentException: neither). */
    static HostTensor readInput(Path input) throws IOException {
        Map<String, HostTensor> tensors = SafeTensors.read(input).tensors();
        HostTensor x = tensors.get("input");
        if (x == null) {
            if (tensors.size() != 1) {
                throw new IllegalArgumentException(input + " has no tensor 'input' and " + tensors.size()
                        + " tensors " + tensors.keySet() + "; name the input 'input'");
            }
            x = tensors.values().iterator().next();
        }
        return x;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        HostTensor x = readInput(input);
        if (output != null) {
            Path dir = output.toAbsolutePath().getParent();
            if (dir != null && !Files.isDirectory(dir)) {
                throw new IllegalArgumentException("--output " + output + ": the directory " + dir + " does not exist");
            }
        }
        Backend be = backend.resolve();
        try (Module m = Models.loadForInference(model, be);
             Tensor in = x.dtype() == DType.INT64 ? be.upload(x.longs(), x.shape()) : be.adopt(x.data(), x.shape())) {
            Map<String, Tensor> ys = m instanceof GraphModule g ? g.forwardNamed(in) : Map.of("output", m.forward(in));
            Map<String, HostTensor> written = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, Tensor> e : ys.entrySet()) {
                    float[] values = e.getValue().toArray();
                    if (ys.size() > 1) {
                        out.println(e.getKey() + ":");
                    }
                    out.println(org.layers4j.io.TensorText.format(values, e.getValue().shape(), ""));
                    written.put(e.getKey(), new HostTensor(e.getValue().shape(), values));
                }
            } finally {
                ys.values().forEach(Tensor::close);
            }
            if (output != null) {
                SafeTensors.write(output, written, Map.of("format", "pt"));
            }
        }
        out.flush();
        return 0;
    }
}
