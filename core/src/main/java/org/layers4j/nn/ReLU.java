package org.layers4j.nn;

import java.util.Map;
import org.layers4j.Backends;
import org.layers4j.Tensor;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.ReLU}: max(x, 0) elementwise on a tensor of any shape; NaN stays NaN. Its
 * gradient is grad_output where the input is positive and 0 elsewhere, 0 at exactly 0 as PyTorch.
 */
public final class ReLU implements Layer {
    private volatile Backend backend;

    /** A ReLU on the default backend. */
    public ReLU() {
        this(Backends.defaultBackend());
    }

    public ReLU(Backend backend) {
        this.backend = Layers.requireBackend(backend);
    }

    @Override
    public Tensor forward(Tensor input) {
        Backend be = backend;
        Layers.requireInput("ReLU", input, be);
        return Layers.compute(be, input.shape(), out -> be.activation().relu(input, out), input);
    }

    @Override
    public Gradients backward(Tensor input, Tensor gradOutput) {
        Backend be = backend;
        Layers.requireInput("ReLU", input, be);
        Layers.requireGradOutput(gradOutput, input.shape(), be);
        Tensor gradInput = Layers.compute(be, input.shape(), dx -> be.activation().reluBackward(input, gradOutput, dx), input,
                gradOutput);
        return new Gradients(gradInput, Map.of());
    }

    @Override
    public Map<String, Tensor> parameters() {
        return Map.of();
    }

    @Override
    public void setParameter(String name, float[] values) {
        throw new IllegalArgumentException("ReLU has no parameter '" + name + "'; it has no parameters");
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public ReLU to(Backend target) {
        backend = Layers.requireBackend(target);
        return this;
    }

    @Override
    public void close() {
        // no parameters to free
    }

    @Override
    public String toString() {
        return "ReLU()";
    }
}
