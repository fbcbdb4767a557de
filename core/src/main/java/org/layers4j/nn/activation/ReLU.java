package org.layers4j.nn.activation;

import org.layers4j.Tensor;
import org.layers4j.spi.ActivationOps;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.ReLU}: max(x, 0) elementwise on a tensor of any shape; NaN stays NaN. Its
 * gradient is grad_output where the input is positive and 0 elsewhere, 0 at exactly 0 as PyTorch.
 */
public final class ReLU extends Activation {
    /** A ReLU on the default backend. */
    public ReLU() {
        this(null);
    }

    public ReLU(Backend backend) {
        super(backend, Saves.INPUT);
    }

    @Override
    protected void apply(ActivationOps ops, Tensor x, Tensor y) {
        ops.relu(x, y);
    }

    @Override
    protected void gradient(ActivationOps ops, Tensor x, Tensor dy, Tensor dx) {
        ops.reluBackward(x, dy, dx);
    }
}
