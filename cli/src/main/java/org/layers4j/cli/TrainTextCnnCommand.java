package org.layers4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.layers4j.Tensor;
import org.layers4j.io.HostTensor;
import org.layers4j.io.SafeTensors;
import org.layers4j.io.StateDicts;
import org.layers4j.models.TextCNN;
import org.layers4j.nn.loss.CrossEntropyLoss;
import org.layers4j.optim.Adam;
import org.layers4j.optim.Training;
import org.layers4j.spi.Backend;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The training example: a small TextCNN trained on a synthetic keyword task from the JVM
 * (Adam, cross-entropy), from the same initial weights and batches as PyTorch
 * ({@code scripts/gen_textcnn_training.py}); prints both loss curves side by side.
 */
@Command(name = "train-textcnn", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        exitCodeListHeading = ExitCodes.HEADING,
        exitCodeList = {ExitCodes.L_OK, ExitCodes.L_USAGE, ExitCodes.L_CANNOT_RUN, ExitCodes.L_INTERNAL_ERROR},
        description = "Train the TextCNN example on its"
        + " synthetic task (the data and PyTorch's loss curve ship in the jar) and print layers4j's loss per step"
        + " next to PyTorch's.")
final class TrainTextCnnCommand implements Callable<Integer> {
    static final String RESOURCE = "textcnn_train.safetensors";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    BackendOption backend;

    @Option(names = "--json", paramLabel = "FILE", description = "also write both curves as JSON (for scripts/plot_loss.py)")
    Path json;

    @Option(names = "--data", paramLabel = "FILE", description = "the data file (default: the copy in the jar)")
    Path data;

    /** Both curves: layers4j's losses and PyTorch's. */
    record Curves(float[] layers4j, float[] torch) {
    }

    static Curves train(SafeTensors.Contents c, Backend be) {
        float[] reference = c.tensor("torch.loss").data();
        int steps = reference.length;
        int batches = (int) c.tensors().keySet().stream().filter(k -> k.endsWith(".target")).count();
        float[] losses = new float[steps];
        try (TextCNN net = new TextCNN(40, 8, 12, 3, 3, 0, 0.0, be); Adam opt = new Adam(net, 0.02)) {
            Map<String, HostTensor> sd = new LinkedHashMap<>();
            net.stateDict().keySet().forEach(k -> sd.put(k, c.tensor(k)));
            StateDicts.load(net, sd);
            CrossEntropyLoss loss = new CrossEntropyLoss();
            for (int i = 0; i < steps; i++) {
                HostTensor x = c.tensor("batch" + i % batches + ".input");
                HostTensor y = c.tensor("batch" + i % batches + ".target");
                try (Tensor xd = be.upload(x.longs(), x.shape()); Tensor yd = be.upload(y.longs(), y.shape())) {
                    losses[i] = Training.step(net, loss, opt, xd, yd);
                }
            }
        }
        return new Curves(losses, reference);
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        SafeTensors.Contents c;
        if (data != null) {
            c = SafeTensors.read(data);
        } else {
            try (InputStream in = TrainTextCnnCommand.class.getResourceAsStream(RESOURCE)) {
                c = SafeTensors.parse(in.readAllBytes());
            }
        }
        Backend be = backend.resolve();
        out.println("TextCNN on the keyword task, Adam lr 0.02, batch 16, backend " + be.name());
        Curves r = train(c, be);
        out.println(" step   layers4j    PyTorch");
        double maxDiff = 0;
        for (int i = 0; i < r.layers4j().length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(r.layers4j()[i] - r.torch()[i]));
            if (i % 10 == 0 || i == r.layers4j().length - 1) {
                out.printf("%5d %10.6f %10.6f%n", i, r.layers4j()[i], r.torch()[i]);
            }
        }
        out.printf("largest difference over %d steps: %.2e%n", r.layers4j().length, maxDiff);
        if (json != null) {
            ObjectMapper m = new ObjectMapper();
            ObjectNode root = m.createObjectNode();
            root.put("backend", be.name());
            ArrayNode a = root.putArray("layers4j");
            ArrayNode t = root.putArray("torch");
            for (int i = 0; i < r.layers4j().length; i++) {
                a.add(r.layers4j()[i]);
                t.add(r.torch()[i]);
            }
            Files.writeString(json, m.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        }
        out.flush();
        return 0;
    }
}
