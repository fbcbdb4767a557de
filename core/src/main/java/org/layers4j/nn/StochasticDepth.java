package org.layers4j.nn;

import java.util.SplittableRandom;
import org.layers4j.Backends;
import org.layers4j.Tensor;
import org.layers4j.internal.PyFormat;
import org.layers4j.nn.functional.Regularization;
import org.layers4j.spi.Backend;

/**
 * torchvision's {@code ops.StochasticDepth(p, mode)}: in training mode, "row" drops each sample (dimension 0)
 * of its input with probability p, "batch" the whole input, and scales what is kept by 1 / (1 - p); in eval
 * mode it is the identity (the output shares the input's memory). The mask comes from this module's own
 * seedable RNG on the host ({@link Regularization#stochasticDepth}).
 */
public final class StochasticDepth extends Module {
    private final double p;
    private final String mode;
    private final SplittableRandom rng;

    public StochasticDepth(double p, String mode, Backend backend) {
        this(p, mode, 0, backend);
    }

    public StochasticDepth(double p, String mode, long seed, Backend backend) {
        super(backend == null ? Backends.defaultBackend() : backend);
        Regularization.checkStochasticDepth(p, mode);
        this.p = p;
        this.mode = mode;
        this.rng = new SplittableRandom(seed);
    }

    public double p() {
        return p;
    }

    /** "row" or "batch". */
    public String mode() {
        return mode;
    }

    @Override
    public Tensor forward(Tensor input) {
        requireInput("StochasticDepth", input);
        return Regularization.stochasticDepth(input, p, mode, isTraining(), rng);
    }

    @Override
    protected String extraRepr() {
        return "p=" + PyFormat.floatRepr(p) + ", mode=" + mode;
    }
}
