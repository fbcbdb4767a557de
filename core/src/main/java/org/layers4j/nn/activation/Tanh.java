package org.layers4j.nn.activation;

import org.layers4j.Tensor;
import org.layers4j.spi.ActivationOps;
import org.layers4j.spi.Backend;

/** PyTorch's {@code nn.Tanh}; the gradient comes from the output, 1 - y². */
public final class Tanh extends Activation {
    public Tanh() {
        this(null);
    }

    public Tanh(Backend backend) {
        super(backend, Saves.OUTPUT);
    }

    @Override
    protected void apply(ActivationOps ops, Tensor x, Tensor y) {
        ops.tanh(x, y);
    }

    @Override
    protected void gradient(ActivationOps ops, Tensor y, Tensor dy, Tensor dx) {
        ops.tanhBackward(y, dy, dx);
    }
}
