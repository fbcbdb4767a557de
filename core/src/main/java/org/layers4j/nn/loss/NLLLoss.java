package org.layers4j.nn.loss;

import org.layers4j.Shape;
import org.layers4j.Tensor;

/**
 * PyTorch's {@code nn.NLLLoss(weight=None, ignore_index=-100, reduction='mean')}: the negative
 * log-likelihood {@code -weight[t] * input[n, t]} of log-probabilities (e.g. a LogSoftmax output)
 * against class indices; the mean divides by the summed weights of the non-ignored targets.
 */
public final class NLLLoss extends ClassificationLoss {
    public NLLLoss() {
        this(null, -100, Reduction.MEAN);
    }

    public NLLLoss(float[] weight, long ignoreIndex, Reduction reduction) {
        super(weight, ignoreIndex, reduction);
    }

    @Override
    protected double[] losses(float[] x, Shape input, Tensor target, double[] divisor) {
        int[] l = classLayout(input);
        int n = l[0];
        int c = l[1];
        int inner = l[2];
        long[] t = targets(target, c);
        double[] out = new double[n * inner];
        double div = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < inner; j++) {
                long k = t[i * inner + j];
                if (!ignored(k)) {
                    double w = w((int) k);
                    out[i * inner + j] = -w * x[(i * c + (int) k) * inner + j];
                    div += w;
                }
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
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < inner; j++) {
                long k = t[i * inner + j];
                if (!ignored(k)) {
                    g[(i * c + (int) k) * inner + j] = (float) (-w((int) k) * upstream[i * inner + j]);
                }
            }
        }
        return g;
    }
}
