package org.layers4j.nn;

import java.util.SplittableRandom;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.functional.Regularization;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.Dropout(p=0.5)}. In training mode each element is zeroed with probability p and
 * the rest scaled by 1 / (1 - p); the mask comes from this module's own seedable RNG on the host, so
 * every backend drops the same elements for the same seed (PyTorch's own random stream cannot be
 * reproduced). In eval mode it is the identity (the output shares the input's memory). The masking is
 * {@link Regularization#dropout}'s.
 */
public final class Dropout extends Module {
    private final double p;
    private final SplittableRandom rng;

    public Dropout() {
        this(0.5);
    }

    public Dropout(double p) {
        this(p, 0, null);
    }

    public Dropout(double p, long seed, Backend backend) {
        super(backend == null ? Backends.defaultBackend() : backend);
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        }
        this.p = p;
        this.rng = new SplittableRandom(seed);
    }

    public double p() {
        return p;
    }

    @Override
    public Tensor forward(Tensor input) {
        Shape s = requireInput("Dropout", input);
        if (!isTraining() || p == 0) {
            return Functional.reshape(input, s);
        }
        return Regularization.dropout(input, p, true, rng);
    }

    @Override
    protected String extraRepr() {
        return "p=" + p + ", inplace=False";
    }
}
