package org.layers4j.testing;

import java.util.function.ToDoubleFunction;

/**
 * Float64 references of PyTorch 1.13's losses, written as plain loops from the documented formulas
 * (not calling the library). Each returns the unreduced losses ({@code reduction='none'}) or one
 * reduced value; input gradients come from {@link #gradient}, a central finite difference of the
 * float64 loss, so they do not share a formula with the implementation under test.
 */
public final class LossReference {
    private LossReference() {
    }

    /** The class layout of an input of {@code dims}: [n, C, inner] ([C] is one sample, no inner positions). */
    static int[] classLayout(int[] dims) {
        int c = dims.length == 1 ? dims[0] : dims[1];
        int n = dims.length == 1 ? 1 : dims[0];
        int inner = 1;
        for (int i = 2; i < dims.length; i++) {
            inner *= dims[i];
        }
        return new int[] {n, c, inner};
    }

    private static double[] reduce(double[] losses, double divisor, String reduction) {
        switch (reduction) {
            case "none":
                return losses;
            case "sum": {
                double s = 0;
                for (double v : losses) {
                    s += v;
                }
                return new double[] {s};
            }
            case "mean": {
                double s = 0;
                for (double v : losses) {
                    s += v;
                }
                return new double[] {s / divisor};
            }
            default:
                throw new IllegalArgumentException(reduction);
        }
    }

    /**
     * {@code F.cross_entropy(x, t, weight, ignore_index, reduction, label_smoothing)} with class indices:
     * p = softmax over the class dimension; per position {@code (1-ls) * (-w[t] log p[t]) + ls/C * (-sum_c w[c] log p[c])},
     * zero at ignore_index; the mean divides by the summed w[t] of the non-ignored targets.
     */
    public static double[] crossEntropy(double[] x, int[] dims, long[] t, float[] w, long ignoreIndex, String reduction,
                                        double ls) {
        int[] l = classLayout(dims);
        int n = l[0];
        int c = l[1];
        int inner = l[2];
        double[] out = new double[n * inner];
        double div = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < inner; j++) {
                long k = t[i * inner + j];
                if (k == ignoreIndex) {
                    continue;
                }
                double max = Double.NEGATIVE_INFINITY;
                for (int q = 0; q < c; q++) {
                    max = Math.max(max, x[(i * c + q) * inner + j]);
                }
                double z = 0;
                for (int q = 0; q < c; q++) {
                    z += Math.exp(x[(i * c + q) * inner + j] - max);
                }
                double logZ = max + Math.log(z);
                double nll = -weight(w, (int) k) * (x[(i * c + (int) k) * inner + j] - logZ);
                double smooth = 0;
                for (int q = 0; q < c; q++) {
                    smooth += -weight(w, q) * (x[(i * c + q) * inner + j] - logZ);
                }
                out[i * inner + j] = (1 - ls) * nll + ls / c * smooth;
                div += weight(w, (int) k);
            }
        }
        return reduce(out, div, reduction);
    }

    /** {@code F.nll_loss(x, t, weight, ignore_index, reduction)}: -w[t] x[t], zero at ignore_index; mean over summed w[t]. */
    public static double[] nll(double[] x, int[] dims, long[] t, float[] w, long ignoreIndex, String reduction) {
        int[] l = classLayout(dims);
        int n = l[0];
        int c = l[1];
        int inner = l[2];
        double[] out = new double[n * inner];
        double div = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < inner; j++) {
                long k = t[i * inner + j];
                if (k == ignoreIndex) {
                    continue;
                }
                out[i * inner + j] = -weight(w, (int) k) * x[(i * c + (int) k) * inner + j];
                div += weight(w, (int) k);
            }
        }
        return reduce(out, div, reduction);
    }

    /** {@code F.mse_loss(x, y, reduction)}: (x - y)^2; the mean over every element. */
    public static double[] mse(double[] x, float[] y, String reduction) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - y[i];
            out[i] = d * d;
        }
        return reduce(out, x.length, reduction);
    }

    private static double softplus(double z) {
        return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    /**
     * {@code F.binary_cross_entropy_with_logits(x, y, weight, reduction, pos_weight)}:
     * {@code -w [pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]}, with log sigmoid(x) = -softplus(-x)
     * and log(1 - sigmoid(x)) = -softplus(x); weight broadcast over the trailing dimensions
     * (here: [last] or the input's shape), pos_weight over the last dimension.
     */
    public static double[] bceWithLogits(double[] x, int[] dims, float[] y, float[] w, float[] pw, String reduction) {
        int last = dims.length == 0 ? 1 : dims[dims.length - 1];
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double wi = w == null ? 1 : w[i % w.length];
            double pwi = pw == null ? 1 : pw[(i % last) % pw.length];
            out[i] = -wi * (pwi * y[i] * -softplus(-x[i]) + (1 - y[i]) * -softplus(x[i]));
        }
        return reduce(out, x.length, reduction);
    }

    private static double weight(float[] w, int c) {
        return w == null ? 1 : w[c];
    }

    /**
     * d(sum_i upstream[i] * f(x)[i]) / dx by a central difference in float64 (step h scaled to |x|):
     * exact to ~1e-9 relative for these smooth (or piecewise linear/quadratic) losses.
     */
    public static double[] gradient(double[] x, double[] upstream, java.util.function.Function<double[], double[]> f) {
        ToDoubleFunction<double[]> g = v -> {
            double[] l = f.apply(v);
            double s = 0;
            for (int i = 0; i < l.length; i++) {
                s += upstream[i] * l[i];
            }
            return s;
        };
        double[] grad = new double[x.length];
        double[] v = x.clone();
        for (int i = 0; i < x.length; i++) {
            double h = 1e-5 * Math.max(1, Math.abs(x[i]));
            v[i] = x[i] + h;
            double plus = g.applyAsDouble(v);
            v[i] = x[i] - h;
            double minus = g.applyAsDouble(v);
            v[i] = x[i];
            grad[i] = (plus - minus) / (2 * h);
        }
        return grad;
    }
}
