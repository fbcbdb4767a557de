package org.layers4j.nn.activation;

import org.layers4j.nn.functional.Activations;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.GELU(approximate='none')}: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), or with
 * {@code approximate='tanh'} 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); exact gradients of each.
 */
public final class GELU extends PointwiseActivation {
    private final String approximate;

    /** approximate 'none' on the default backend. */
    public GELU() {
        this("none", null);
    }

    public GELU(Backend backend) {
        this("none", backend);
    }

    public GELU(String approximate) {
        this(approximate, null);
    }

    /** An IllegalArgumentException with PyTorch's message unless approximate is "none" or "tanh". */
    public GELU(String approximate, Backend backend) {
        super(backend, Activations.geluOp(approximate));
        this.approximate = approximate;
    }

    public String approximate() {
        return approximate;
    }

    @Override
    protected String extraRepr() {
        return "approximate='" + approximate + "'";
    }
}
