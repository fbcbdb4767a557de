package org.layers4j.nn.activation;

import org.layers4j.Tensor;
import org.layers4j.spi.ActivationOps;
import org.layers4j.spi.Backend;

/** PyTorch's {@code nn.LeakyReLU(negative_slope=0.01)}: x for x > 0, else negative_slope * x. */
public final class LeakyReLU extends Activation {
    private final double negativeSlope;

    /** negative_slope 0.01 on the default backend. */
    public LeakyReLU() {
        this(0.01, null);
    }

    public LeakyReLU(double negativeSlope) {
        this(negativeSlope, null);
    }

    public LeakyReLU(double negativeSlope, Backend backend) {
        super(backend, Saves.INPUT);
        if (!Double.isFinite(negativeSlope)) {
            throw new IllegalArgumentException("LeakyReLU: negative_slope must be finite, but got " + negativeSlope);
        }
        this.negativeSlope = negativeSlope;
    }

    public double negativeSlope() {
        return negativeSlope;
    }

    @Override
    protected void apply(ActivationOps ops, Tensor x, Tensor y) {
        ops.leakyRelu(negativeSlope, x, y);
    }

    @Override
    protected void gradient(ActivationOps ops, Tensor x, Tensor dy, Tensor dx) {
        ops.leakyReluBackward(negativeSlope, x, dy, dx);
    }

    @Override
    protected String extraRepr() {
        return "negative_slope=" + negativeSlope;
    }
}
