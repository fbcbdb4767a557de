package org.layers4j.nn.activation;

import org.layers4j.Tensor;
import org.layers4j.spi.ActivationOps;
import org.layers4j.spi.Backend;

/** PyTorch's {@code nn.Sigmoid}: 1 / (1 + exp(-x)); the gradient comes from the output, y (1 - y). */
public final class Sigmoid extends Activation {
    public Sigmoid() {
        this(null);
    }

    public Sigmoid(Backend backend) {
        super(backend, Saves.OUTPUT);
    }

    @Override
    protected void apply(ActivationOps ops, Tensor x, Tensor y) {
        ops.sigmoid(x, y);
    }

    @Override
    protected void gradient(ActivationOps ops, Tensor y, Tensor dy, Tensor dx) {
        ops.sigmoidBackward(y, dy, dx);
    }
}
