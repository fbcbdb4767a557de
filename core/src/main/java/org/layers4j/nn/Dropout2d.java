package org.layers4j.nn;

import java.util.SplittableRandom;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.functional.Arithmetic;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.Dropout2d(p=0.5)}: in training mode each channel of each sample, [N, C, H, W] or
 * [C, H, W], is zeroed with probability p and the others scaled by 1/(1-p); identity in eval. The mask
 * comes from the module's own seedable generator (PyTorch's RNG would draw other channels).
 */
public final class Dropout2d extends Module {
    private final double p;
    private final SplittableRandom random;

    public Dropout2d(double p, long seed, Backend backend) {
        super(backend);
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        }
        this.p = p;
        this.random = new SplittableRandom(seed);
    }

    public double p() {
        return p;
    }

    @Override
    public Tensor forward(Tensor input) {
        Shape s = requireInput("Dropout2d", input);
        if (!isTraining() || p == 0) {
            return Functional.reshape(input, s);
        }
        if (s.rank() != 3 && s.rank() != 4) {
            throw new IllegalArgumentException("Dropout2d: expected a 3-D or 4-D input, got " + s.rank() + "-D input of"
                    + " size " + s.dimsString());
        }
        int planes = s.rank() == 4 ? s.dim(0) * s.dim(1) : s.dim(0);
        float[] mask = new float[planes];
        synchronized (random) {
            for (int i = 0; i < planes; i++) {
                mask[i] = random.nextDouble() < p ? 0f : (float) (1 / (1 - p));
            }
        }
        Shape maskShape = s.rank() == 4 ? Shape.of(s.dim(0), s.dim(1), 1, 1) : Shape.of(s.dim(0), 1, 1);
        try (Tensor m = backend().upload(mask, maskShape)) {
            return Arithmetic.mul(input, m);
        }
    }

    @Override
    protected String extraRepr() {
        return "p=" + p + ", inplace=False";
    }
}
