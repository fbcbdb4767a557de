package org.layers4j.nn.loss;

import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;

/** PyTorch's {@code nn.MSELoss(reduction='mean')}: (input - target)², target of the input's shape. */
public final class MSELoss extends Loss {
    public MSELoss() {
        this(Reduction.MEAN);
    }

    public MSELoss(Reduction reduction) {
        super(reduction);
    }

    @Override
    protected Shape check(Shape input, Tensor target) {
        if (target.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException("MSELoss: expected a float32 target, got " + target.dtype().torchName());
        }
        if (!target.shape().equals(input)) {
            throw new IllegalArgumentException("MSELoss: target size " + target.shape() + " must be the same as input size "
                    + input + " (broadcasting is not supported)");
        }
        return input;
    }

    @Override
    protected double[] losses(float[] x, Shape input, Tensor target, double[] divisor) {
        float[] t = target.toArray();
        double[] l = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double d = (double) x[i] - t[i];
            l[i] = d * d;
        }
        divisor[0] = x.length;
        return l;
    }

    @Override
    protected float[] gradient(float[] x, Shape input, Tensor target, double[] upstream) {
        float[] t = target.toArray();
        float[] g = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            g[i] = (float) (2 * ((double) x[i] - t[i]) * upstream[i]);
        }
        return g;
    }
}
