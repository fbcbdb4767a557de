package org.layers4j.graph.ops;

import java.util.function.Function;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.nn.activation.LogSoftmax;
import org.layers4j.nn.activation.Softmax;
import org.layers4j.nn.functional.Activations;
import org.layers4j.nn.functional.Regularization;

/**
 * Element-wise activations and softmax as functions ({@code F.relu}, {@code torch.sigmoid}, ...), and the
 * mode-dependent {@code dropout} / {@code stochastic_depth}, which follow the graph module's train / eval
 * mode (torch.fx bakes {@code self.training} into a trace, so the exporter leaves it out).
 */
final class ActivationFunctions {
    private ActivationFunctions() {
    }

    static void register(OpRegistry r) {
        unary(r, "relu", Activations::relu);
        unary(r, "relu6", Activations::relu6);
        unary(r, "sigmoid", Activations::sigmoid);
        unary(r, "tanh", Activations::tanh);
        unary(r, "silu", Activations::silu);
        unary(r, "hardswish", Activations::hardswish);
        unary(r, "hardsigmoid", Activations::hardsigmoid);
        r.register(FunctionalOp.of("hardtanh", Signature.of("input", "min_val=-1.0", "max_val=1.0", "inplace=False"),
                (a, c) -> Activations.hardtanh(a.tensor("input"), a.number("min_val"), a.number("max_val"))));
        r.register(FunctionalOp.of("gelu", Signature.of("input", "approximate='none'"),
                (a, c) -> Activations.gelu(a.tensor("input"), a.string("approximate"))));
        r.register(FunctionalOp.of("softmax", Signature.of("input", "dim", "_stacklevel=3", "dtype=None"),
                (a, c) -> run(new Softmax(a.integer("dim"), c.backend()), a.tensor("input"))));
        r.register(FunctionalOp.of("log_softmax", Signature.of("input", "dim", "_stacklevel=3", "dtype=None"),
                (a, c) -> run(new LogSoftmax(a.integer("dim"), c.backend()), a.tensor("input"))));
        r.register(FunctionalOp.of("dropout", Signature.of("input", "p=0.5", "inplace=False"),
                (a, c) -> Regularization.dropout(a.tensor("input"), a.number("p"), c.training(), c.random())));
        r.register(new FunctionalOp() {
            private final Signature signature = Signature.of("input", "p", "mode");

            @Override
            public String name() {
                return "stochastic_depth";
            }

            @Override
            public Signature signature() {
                return signature;
            }

            @Override
            public void check(Args a) {
                if (!a.isRef("p") && !a.isRef("mode")) {
                    Regularization.checkStochasticDepth(a.number("p"), a.string("mode"));
                }
            }

            @Override
            public Object apply(Args a, OpContext c) {
                return Regularization.stochasticDepth(a.tensor("input"), a.number("p"), a.string("mode"), c.training(),
                        c.random());
            }
        });
    }

    private static void unary(OpRegistry r, String name, Function<Tensor, Tensor> f) {
        r.register(FunctionalOp.of(name, Signature.of("input", "inplace=False"), (a, c) -> f.apply(a.tensor("input"))));
    }

    /** Runs a parameterless module as a function. */
    static Tensor run(Module m, Tensor x) {
        try (m) {
            return m.forward(x);
        }
    }
}
