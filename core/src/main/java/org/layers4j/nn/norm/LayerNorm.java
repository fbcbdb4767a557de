package org.layers4j.nn.norm;

import java.util.Arrays;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.internal.NormalizationImpl;
import org.layers4j.internal.PyFormat;
import org.layers4j.nn.Init;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.LayerNorm(normalized_shape, eps=1e-05, elementwise_affine=True)}: each sample normalized
 * over its last {@code normalizedShape.length} dimensions with its own mean and biased variance (in training
 * and eval alike), then, with elementwise_affine, times weight (ones) plus bias (zeros), both of shape
 * normalized_shape.
 */
public final class LayerNorm extends Module {
    private final int[] normalizedShape;
    private final double eps;
    private final Parameter weight;
    private final Parameter bias;

    /** {@code nn.LayerNorm(normalized_shape)} with eps 1e-5 and the affine parameters, on the default backend. */
    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, 1e-5, true, null);
    }

    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine, Backend backend) {
        super(backend == null ? Backends.defaultBackend() : backend);
        if (normalizedShape == null) {
            throw new IllegalArgumentException("LayerNorm: normalized_shape must not be null");
        }
        for (int d : normalizedShape) {
            if (d < 0) {
                throw new IllegalArgumentException("LayerNorm: Trying to create tensor with negative dimension " + d
                        + ": " + Arrays.toString(normalizedShape));
            }
        }
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        Backend be = backend();
        Shape s = Shape.of(normalizedShape.clone());
        this.weight = elementwiseAffine ? registerParameter("weight", be.upload(Init.filled(s.size(), 1f), s)) : null;
        this.bias = elementwiseAffine ? registerParameter("bias", be.allocate(s)) : null;
    }

    public int[] normalizedShape() {
        return normalizedShape.clone();
    }

    public double eps() {
        return eps;
    }

    public boolean elementwiseAffine() {
        return weight != null;
    }

    /** The weight (normalized_shape), or null without elementwise_affine; owned by the layer. */
    public Tensor weight() {
        return weight == null ? null : weight.data();
    }

    /** The bias (normalized_shape), or null without elementwise_affine; owned by the layer. */
    public Tensor bias() {
        return bias == null ? null : bias.data();
    }

    @Override
    public Tensor forward(Tensor input) {
        requireInput("LayerNorm", input);
        return NormalizationImpl.layerNorm("LayerNorm", input, normalizedShape,
                NormalizationImpl.Affine.ofParams(weight, bias), eps);
    }

    @Override
    protected String extraRepr() {
        StringBuilder t = new StringBuilder("(");
        for (int i = 0; i < normalizedShape.length; i++) {
            t.append(i > 0 ? ", " : "").append(normalizedShape[i]);
        }
        t.append(normalizedShape.length == 1 ? ",)" : ")");
        return t + ", eps=" + PyFormat.floatRepr(eps) + ", elementwise_affine=" + (elementwiseAffine() ? "True" : "False");
    }
}
