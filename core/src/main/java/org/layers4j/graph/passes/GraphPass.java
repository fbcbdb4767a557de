package org.layers4j.graph.passes;

/**
 * One rewrite of a {@link FrozenGraph} for eval-mode inference, in the manner of ONNX Runtime's graph
 * transformers ({@code conv_bn_fusion}, {@code conv_activation_fusion}): a pattern and its replacement, each
 * in its own class with its own tests. A pass must not change any output beyond float32 rounding, in eval mode,
 * for any input the original graph accepts.
 */
public interface GraphPass {
    /** A short name for logs ({@code batchnorm-folding}). */
    String name();

    /** The rewritten graph (the input itself when nothing matched). */
    FrozenGraph apply(FrozenGraph g);
}
