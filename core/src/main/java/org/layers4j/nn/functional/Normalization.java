package org.layers4j.nn.functional;

import org.layers4j.Tensor;
import org.layers4j.internal.NormalizationImpl;
import org.layers4j.internal.NormalizationImpl.Affine;

/**
 * PyTorch's {@code F.layer_norm} and {@code F.group_norm}. The affine {@code weight} / {@code bias} are plain
 * tensors (each nullable) that are recorded as inputs of the operation, so the gradients reach them through
 * the tape's {@link org.layers4j.nn.Gradients#of}, as they reach a graph's parameters read by get_attr.
 * Each call records itself on the current {@link org.layers4j.nn.Tape}.
 */
public final class Normalization {
    private Normalization() {
    }

    /**
     * {@code F.layer_norm(x, normalized_shape, weight, bias, eps)}: x normalized over its last
     * {@code normalizedShape.length} dimensions (which must equal normalizedShape) with the biased variance,
     * then times weight and plus bias (both of shape normalizedShape, or null).
     */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        return NormalizationImpl.layerNorm("layer_norm", x, normalizedShape, Affine.ofTensors(weight, bias), eps);
    }

    /**
     * {@code F.group_norm(x, num_groups, weight, bias, eps)} for x [N, C, *]: the C channels split into
     * numGroups consecutive groups, each (sample, group) normalized on its own; weight / bias are [C] or null.
     */
    public static Tensor groupNorm(Tensor x, int numGroups, Tensor weight, Tensor bias, double eps) {
        return NormalizationImpl.groupNorm("group_norm", x, numGroups, Affine.ofTensors(weight, bias), eps);
    }
}
