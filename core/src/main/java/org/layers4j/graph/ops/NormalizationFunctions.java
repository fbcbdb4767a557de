package org.layers4j.graph.ops;

import org.layers4j.nn.functional.Normalization;

/**
 * {@code F.layer_norm} and {@code F.group_norm}: their weight and bias are tensor arguments (in a traced
 * graph, {@code get_attr} reads of the module's parameters, which so receive their gradients).
 */
final class NormalizationFunctions {
    private NormalizationFunctions() {
    }

    static void register(OpRegistry r) {
        r.register(FunctionalOp.of("layer_norm", Signature.of("input", "normalized_shape", "weight=None", "bias=None",
                "eps=1e-05"), (a, c) -> Normalization.layerNorm(a.tensor("input"), a.ints("normalized_shape"),
                        a.optionalTensor("weight"), a.optionalTensor("bias"), a.number("eps"))));
        r.register(FunctionalOp.of("group_norm", Signature.of("input", "num_groups", "weight=None", "bias=None",
                "eps=1e-05"), (a, c) -> Normalization.groupNorm(a.tensor("input"), a.integer("num_groups"),
                        a.optionalTensor("weight"), a.optionalTensor("bias"), a.number("eps"))));
    }
}
