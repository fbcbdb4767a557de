package org.layers4j.nn.activation;

import org.layers4j.spi.Backend;
import org.layers4j.spi.UnaryOp;

/** PyTorch's {@code nn.Hardsigmoid}: relu6(x + 3) / 6; gradient dy / 6 on -3 &lt; x &lt; 3, else 0. */
public final class Hardsigmoid extends PointwiseActivation {
    /** On the default backend. */
    public Hardsigmoid() {
        this(null);
    }

    public Hardsigmoid(Backend backend) {
        super(backend, UnaryOp.of(UnaryOp.Kind.HARDSIGMOID));
    }
}
