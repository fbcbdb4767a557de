package org.layers4j.nn.activation;

import org.layers4j.spi.Backend;
import org.layers4j.spi.UnaryOp;

/** PyTorch's {@code nn.Hardswish}: x * relu6(x + 3) / 6; gradient 0 for x &lt; -3, dy * (x / 3 + 0.5) for -3 &lt;= x &lt;= 3, dy above. */
public final class Hardswish extends PointwiseActivation {
    /** On the default backend. */
    public Hardswish() {
        this(null);
    }

    public Hardswish(Backend backend) {
        super(backend, UnaryOp.of(UnaryOp.Kind.HARDSWISH));
    }
}
