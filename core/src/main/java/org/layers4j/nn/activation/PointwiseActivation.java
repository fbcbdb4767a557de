package org.layers4j.nn.activation;

import org.layers4j.Backends;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.nn.functional.Activations;
import org.layers4j.spi.Backend;
import org.layers4j.spi.UnaryOp;

/**
 * An element-wise activation on the backend's {@link org.layers4j.spi.PointwiseOps} (SiLU, Hardswish,
 * GELU, ...): the output has the input's shape, backward works from the saved input. No parameters.
 */
public abstract class PointwiseActivation extends Module {
    private final UnaryOp op;

    protected PointwiseActivation(Backend backend, UnaryOp op) {
        super(backend == null ? Backends.defaultBackend() : backend);
        this.op = op;
    }

    /** The activation with its arguments, as the backend computes it. */
    public final UnaryOp op() {
        return op;
    }

    @Override
    public Tensor forward(Tensor input) {
        requireInput(getClass().getSimpleName(), input);
        return Activations.apply(getClass().getSimpleName(), op, input);
    }

    /** Python's repr of a float (1.0, -0.5, 1e-05, inf), as PyTorch's extra_repr prints arguments. */
    static String pyFloat(double v) {
        return org.layers4j.internal.PyFormat.floatRepr(v);
    }
}
