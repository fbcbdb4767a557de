package org.layers4j.graph.ops;

import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.nn.activation.LogSoftmax;
import org.layers4j.nn.activation.ReLU;
import org.layers4j.nn.activation.Sigmoid;
import org.layers4j.nn.activation.Softmax;
import org.layers4j.nn.activation.Tanh;
import org.layers4j.spi.Backend;

/**
 * Element-wise activations and softmax as functions ({@code F.relu}, {@code torch.sigmoid}, ...), and the
 * mode-dependent {@code dropout} / {@code stochastic_depth}, which follow the graph module's train / eval mode.
 */
final class ActivationFunctions {
    private ActivationFunctions() {
    }

    static void register(OpRegistry r) {
        unary(r, "relu", ReLU::new);
        unary(r, "sigmoid", Sigmoid::new);
        unary(r, "tanh", Tanh::new);
        r.register(FunctionalOp.of("softmax", Signature.of("input", "dim", "_stacklevel=3", "dtype=None"),
                (a, c) -> run(new Softmax(a.integer("dim"), c.backend()), a.tensor("input"))));
        r.register(FunctionalOp.of("log_softmax", Signature.of("input", "dim", "_stacklevel=3", "dtype=None"),
                (a, c) -> run(new LogSoftmax(a.integer("dim"), c.backend()), a.tensor("input"))));
    }

    private static void unary(OpRegistry r, String name, java.util.function.Function<Backend, Module> module) {
        r.register(FunctionalOp.of(name, Signature.of("input", "inplace=False"),
                (a, c) -> run(module.apply(c.backend()), a.tensor("input"))));
    }

    /** Runs a parameterless module as a function. */
    static Tensor run(Module m, Tensor x) {
        try (m) {
            return m.forward(x);
        }
    }
}
