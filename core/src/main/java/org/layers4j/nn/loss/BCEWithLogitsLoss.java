package org.layers4j.nn.loss;

import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;

/**
 * PyTorch's {@code nn.BCEWithLogitsLoss(weight=None, reduction='mean', pos_weight=None)}: binary
 * cross-entropy of sigmoid(input) against a float target of the input's shape, in the stable form
 * {@code (1 - t) x + lw (log(1 + exp(-|x|)) + max(-x, 0))} with {@code lw = 1 + (pos_weight - 1) t}.
 * {@code weight} and {@code pos_weight} broadcast over the input's last dimensions (pos_weight: the
 * classes, the last dimension).
 */
public final class BCEWithLogitsLoss extends Loss {
    private final float[] weight;
    private final float[] posWeight;

    public BCEWithLogitsLoss() {
        this(null, Reduction.MEAN, null);
    }

    public BCEWithLogitsLoss(float[] weight, Reduction reduction, float[] posWeight) {
        super(reduction);
        this.weight = weight == null ? null : weight.clone();
        this.posWeight = posWeight == null ? null : posWeight.clone();
    }

    @Override
    protected Shape check(Shape input, Tensor target) {
        if (target.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException("BCEWithLogitsLoss: expected a float32 target, got "
                    + target.dtype().torchName());
        }
        if (!target.shape().equals(input)) {
            throw new IllegalArgumentException("Target size (" + target.shape() + ") must be the same as input size ("
                    + input + ")");
        }
        int size = input.size();
        if (weight != null && (weight.length == 0 || size % weight.length != 0)) {
            throw new IllegalArgumentException("BCEWithLogitsLoss: weight of " + weight.length
                    + " values does not broadcast over the input's last dimensions " + input.dimsString());
        }
        int last = input.rank() == 0 ? 1 : input.dim(input.rank() - 1);
        if (posWeight != null && posWeight.length != last && posWeight.length != 1) {
            throw new IllegalArgumentException("BCEWithLogitsLoss: pos_weight must have one value per class (the last"
                    + " dimension, " + last + "), got " + posWeight.length);
        }
        return input;
    }

    private double w(int i) {
        return weight == null ? 1 : weight[i % weight.length];
    }

    private double pw(int i) {
        return posWeight == null ? 1 : posWeight[i % posWeight.length];
    }

    @Override
    protected double[] losses(float[] x, Shape input, Tensor target, double[] divisor) {
        float[] t = target.toArray();
        double[] l = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double xi = x[i];
            double lw = 1 + (pw(i) - 1) * t[i];
            l[i] = w(i) * ((1 - t[i]) * xi + lw * (Math.log1p(Math.exp(-Math.abs(xi))) + Math.max(-xi, 0)));
        }
        divisor[0] = x.length;
        return l;
    }

    @Override
    protected float[] gradient(float[] x, Shape input, Tensor target, double[] upstream) {
        float[] t = target.toArray();
        float[] g = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            double s = 1 / (1 + Math.exp(-x[i]));
            double p = pw(i);
            g[i] = (float) (upstream[i] * w(i) * (s * (p * t[i] + 1 - t[i]) - p * t[i]));
        }
        return g;
    }
}
