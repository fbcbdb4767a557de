package org.layers4j.nn.activation;

import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.ReLU6}: Hardtanh(0, 6), min(max(x, 0), 6); the gradient is dy on 0 &lt; x &lt; 6 (0 at
 * both kinks). Its repr is {@code ReLU6()}, as PyTorch's.
 */
public final class ReLU6 extends Hardtanh {
    /** On the default backend. */
    public ReLU6() {
        this(null);
    }

    public ReLU6(Backend backend) {
        super(0.0, 6.0, backend);
    }

    @Override
    protected String extraRepr() {
        return "";
    }
}
