package org.layers4j.nn.loss;

import org.layers4j.Shape;
import org.layers4j.Tensor;

/**
 * PyTorch's {@code nn.CrossEntropyLoss(weight=None, ignore_index=-100, reduction='mean',
 * label_smoothing=0.0)} with class indices: log_softmax over the class dimension, then
 * {@code (1 - ls) * nll + ls / C * smooth}, where {@code smooth = -sum_c weight[c] * log p_c};
 * the mean divides both by the summed weights of the non-ignored targets (PyTorch 1.13's rule).
 */
public final class CrossEntropyLoss extends ClassificationLoss {
    private final double labelSmoothing;

    public CrossEntropyLoss() {
        this(null, -100, Reduction.MEAN, 0.0);
    }

    public CrossEntropyLoss(float[] weight, long ignoreIndex, Reduction reduction, double labelSmoothing) {
        super(weight, ignoreIndex, reduction);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException("label_smoothing must be between 0.0 and 1.0. Got: " + labelSmoothing);
        }
        this.labelSmoothing = labelSmoothing;
    }

    public double labelSmoothing() {
        return labelSmoothing;
    }

    /** log_softmax over the classes of sample i, position j, into lp[c]. */
    private static void logSoftmax(float[] x, int i, int j, int c, int inner, double[] lp) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < c; k++) {
            max = Math.max(max, x[(i * c + k) * inner + j]);
        }
        double sum = 0;
        for (int k = 0; k < c; k++) {
            sum += Math.exp(x[(i * c + k) * inner + j] - max);
        }
        double lse = max + Math.log(sum);
        for (int k = 0; k < c; k++) {
            lp[k] = x[(i * c + k) * inner + j] - lse;
        }
    }

    @Override
    protected double[] losses(float[] x, Shape input, Tensor target, double[] divisor) {
        int[] l = classLayout(input);
        int n = l[0];
        int c = l[1];
        int inner = l[2];
        long[] t = targets(target, c);
        double[] out = new double[n * inner];
        double[] lp = new double[c];
        double div = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < inner; j++) {
                long k = t[i * inner + j];
                if (ignored(k)) {
                    continue;
                }
                logSoftmax(x, i, j, c, inner, lp);
                double smooth = 0;
                for (int q = 0; q < c; q++) {
                    smooth -= w(q) * lp[q];
                }
                double w = w((int) k);
                out[i * inner + j] = (1 - labelSmoothing) * -w * lp[(int) k] + labelSmoothing / c * smooth;
                div += w;
            }
        }
        divisor[0] = div;
        return out;
    }

    @Override
    protected float[] gradient(float[] x, Shape input, Tensor target, double[] upstream) {
        int[] l = classLayout(input);
        int n = l[0];
        int c = l[1];
        int inner = l[2];
        long[] t = targets(target, c);
        float[] g = new float[x.length];
        double[] lp = new double[c];
        double wsum = 0;
        for (int q = 0; q < c; q++) {
            wsum += w(q);
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < inner; j++) {
                long k = t[i * inner + j];
                if (ignored(k)) {
                    continue;
                }
                logSoftmax(x, i, j, c, inner, lp);
                double u = upstream[i * inner + j];
                double wt = w((int) k);
                for (int q = 0; q < c; q++) {
                    double p = Math.exp(lp[q]);
                    double nll = -(1 - labelSmoothing) * wt * ((q == k ? 1 : 0) - p);
                    double smooth = -labelSmoothing / c * (w(q) - p * wsum);
                    g[(i * c + q) * inner + j] = (float) (u * (nll + smooth));
                }
            }
        }
        return g;
    }
}
