package org.layers4j.nn.activation;

import org.layers4j.spi.Backend;
import org.layers4j.spi.UnaryOp;

/** PyTorch's {@code nn.SiLU}: x * sigmoid(x) (swish); gradient dy * s * (1 + x * (1 - s)). */
public final class SiLU extends PointwiseActivation {
    /** On the default backend. */
    public SiLU() {
        this(null);
    }

    public SiLU(Backend backend) {
        super(backend, UnaryOp.of(UnaryOp.Kind.SILU));
    }
}
