package org.layers4j.conformance;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.layers4j.DType;
import org.layers4j.Tensor;
import org.layers4j.graph.GraphModule;
import org.layers4j.graph.Node;
import org.layers4j.io.HostTensor;
import org.layers4j.io.SafeTensors;
import org.layers4j.nn.activation.ReLU;

/**
 * What a graph case computed, kept on the host for a tool that compares it with a reference of its own
 * ({@code scripts/train_replay.py}: float64 replaying this run's ReLU decisions): every tensor the case
 * compared, under the case's name for it ({@code output}, {@code grad_input}, {@code grad.<param>},
 * {@code after.<buffer>}, {@code adam.<param>}), and the output of every ReLU node as {@code relu.<node>}.
 */
final class ComputedValues {
    private final Map<String, HostTensor> tensors = new LinkedHashMap<>();

    void put(String name, Tensor t) {
        tensors.put(name, t.dtype() == DType.INT64 ? HostTensor.ofLongs(t.shape(), t.toLongArray())
                : new HostTensor(t.shape(), t.toArray()));
    }

    /** Records the output of each ReLU node: an {@code nn.ReLU} call or the {@code relu} function. */
    GraphModule.NodeObserver reluObserver() {
        return (node, module, value) -> {
            if (value instanceof Tensor t && (module instanceof ReLU
                    || node.op() == Node.Opcode.CALL_FUNCTION && node.target().equals("relu"))) {
                put("relu." + node.name(), t);
            }
        };
    }

    Map<String, HostTensor> tensors() {
        return tensors;
    }

    void write(Path file, String caseName) throws IOException {
        SafeTensors.write(file, tensors, Map.of("case", caseName, "contents",
                "the tensors conformance compared, as computed; relu.<node>: each ReLU node's output"));
    }
}
