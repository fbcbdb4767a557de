package org.layers4j.nn.activation;

import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.spi.ActivationOps;
import org.layers4j.spi.Backend;

/**
 * An element-wise activation on a float32 tensor of any shape: the output has the input's shape, and
 * backward needs either the input (ReLU, LeakyReLU) or the output (Sigmoid, Tanh), which the forward
 * keeps. No parameters.
 */
public abstract class Activation extends Module {
    /** Which tensor the gradient is computed from. */
    protected enum Saves { INPUT, OUTPUT }

    private final Saves saves;

    protected Activation(Backend backend, Saves saves) {
        super(backend == null ? Backends.defaultBackend() : backend);
        this.saves = saves;
    }

    /** y = f(x). */
    protected abstract void apply(ActivationOps ops, Tensor x, Tensor y);

    /** dx from the saved tensor (x or y, see {@link Saves}) and dy. */
    protected abstract void gradient(ActivationOps ops, Tensor saved, Tensor dy, Tensor dx);

    @Override
    public Tensor forward(Tensor input) {
        Backend be = backend();
        Shape s = requireInput(getClass().getSimpleName(), input);
        Tensor out = compute(be, s, y -> apply(be.activation(), input, y), input);
        Tensor saved = saves == Saves.INPUT ? input : out;
        return record(getClass().getSimpleName(), out, tensors(input), params(), tensors(saved),
                (dy, k) -> new Tensor[] {compute(be, s, dx -> gradient(be.activation(), k[0], dy, dx), k[0], dy)});
    }
}
