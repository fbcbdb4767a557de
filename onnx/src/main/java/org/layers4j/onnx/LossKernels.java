package org.layers4j.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (inputs [N, C, d1, ...], integer targets [N, d1,
 * ...], optional class weights; reduction none / sum / mean; ignore_index), on the host, without gradients.
 */
final class LossKernels {
    private LossKernels() {
    }

    static void register(Map<String, OnnxKernel> k) {
        k.put("NegativeLogLikelihoodLoss", c -> c.upload(nll(c, c.host(0))));
        k.put("SoftmaxCrossEntropyLoss", c -> {
            NdArray logp = logSoftmax(c.host(0));
            NdArray loss = nll(c, logp);
            if (c.outputs() < 2) {
                return c.upload(loss);
            }
            List<Object> out = new ArrayList<>();
            out.add(c.upload(loss));
            out.add(c.upload(logp));
            return out;
        });
    }

    /** log_softmax over dimension 1 (in double, rounded to float). */
    static NdArray logSoftmax(NdArray x) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException("SoftmaxCrossEntropyLoss: scores must have rank >= 2");
        }
        int n = x.shape[0];
        int ch = x.shape[1];
        int inner = n * ch == 0 ? 0 : x.data.length / (n * ch);
        double[] out = new double[x.data.length];
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < inner; i++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < ch; k++) {
                    m = Math.max(m, x.data[(b * ch + k) * inner + i]);
                }
                double s = 0;
                for (int k = 0; k < ch; k++) {
                    s += Math.exp(x.data[(b * ch + k) * inner + i] - m);
                }
                double ls = Math.log(s);
                for (int k = 0; k < ch; k++) {
                    int at = (b * ch + k) * inner + i;
                    out[at] = (float) (x.data[at] - m - ls);
                }
            }
        }
        return new NdArray(x.shape, out, false);
    }

    private static NdArray nll(OnnxCall c, NdArray x) {
        NdArray t = c.host(1);
        NdArray w = c.has(2) ? c.host(2) : null;
        String reduction = c.attrString("reduction", "mean");
        boolean hasIgnore = c.hasAttr("ignore_index");
        long ignore = c.attrLong("ignore_index", Long.MIN_VALUE);
        int n = x.shape[0];
        int ch = x.shape[1];
        int inner = n * ch == 0 ? 0 : x.data.length / (n * ch);
        if (t.data.length != n * inner) {
            throw new IllegalArgumentException(c.opType() + ": target shape " + java.util.Arrays.toString(t.shape)
                    + " does not fit input " + java.util.Arrays.toString(x.shape));
        }
        double[] loss = new double[n * inner];
        double weights = 0;
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < inner; i++) {
                long cls = (long) t.data[b * inner + i];
                if (hasIgnore && cls == ignore) {
                    continue;
                }
                if (cls < 0 || cls >= ch) {
                    throw new IllegalArgumentException(c.opType() + ": target " + cls + " is out of range [0, " + ch
                            + ")");
                }
                double wt = w == null ? 1 : w.data[(int) cls];
                loss[b * inner + i] = (float) (-x.data[(b * ch + (int) cls) * inner + i] * wt);
                weights += wt;
            }
        }
        switch (reduction) {
            case "none" -> {
                return new NdArray(t.shape, loss, false);
            }
            case "sum", "mean" -> {
                double s = 0;
                for (double v : loss) {
                    s += v;
                }
                double v = reduction.equals("sum") ? s : s / weights;
                return new NdArray(new int[0], new double[] {(float) v}, false);
            }
            default -> throw new OnnxUnsupportedException(c.opType() + ": reduction '" + reduction + "'");
        }
    }
}
