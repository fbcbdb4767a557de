package org.layers4j.cpu;

import org.layers4j.Tensor;
import org.layers4j.spi.OptimizerOps;

/**
 * torch.optim's updates on host arrays, each element in double precision (only the stored results are
 * rounded to float32), in chunks split across the threads. The loops are plain element-wise arithmetic
 * that C2 compiles to vector instructions; an update is memory-bound (4 to 5 arrays streamed once).
 */
final class CpuOptimizerOps implements OptimizerOps {
    private final Elementwise split;

    CpuOptimizerOps(Elementwise split) {
        this.split = split;
    }

    @Override
    public void sgd(Tensor param, Tensor grad, Tensor momentumBuffer, boolean first, double lr, double momentum,
                    double dampening, double weightDecay, boolean nesterov, boolean maximize) {
        float[] p = CpuStorage.of(param);
        float[] g = CpuStorage.of(grad);
        float[] buf = momentumBuffer == null ? null : CpuStorage.of(momentumBuffer);
        double sign = maximize ? -1 : 1;
        split.runChunks(p.length, (from, to) -> {
            for (int i = from; i < to; i++) {
                double d = sign * g[i];
                if (weightDecay != 0) {
                    d += weightDecay * p[i];
                }
                if (buf != null) {
                    double b = first ? d : momentum * buf[i] + (1 - dampening) * d;
                    buf[i] = (float) b;
                    d = nesterov ? d + momentum * b : b;
                }
                p[i] = (float) (p[i] - lr * d);
            }
        });
    }

    @Override
    public void adam(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq, long step,
                     double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled,
                     boolean amsgrad, boolean maximize) {
        float[] p = CpuStorage.of(param);
        float[] g = CpuStorage.of(grad);
        float[] m = CpuStorage.of(expAvg);
        float[] v = CpuStorage.of(expAvgSq);
        float[] vmax = maxExpAvgSq == null ? null : CpuStorage.of(maxExpAvgSq);
        double sign = maximize ? -1 : 1;
        double bias1 = 1 - Math.pow(beta1, step);
        double bias2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        double stepSize = lr / bias1;
        double decay = 1 - lr * weightDecay;
        split.runChunks(p.length, (from, to) -> {
            for (int i = from; i < to; i++) {
                double pi = p[i];
                if (decoupled && weightDecay != 0) {
                    pi *= decay;
                }
                double gi = sign * g[i];
                if (!decoupled && weightDecay != 0) {
                    gi += weightDecay * pi;
                }
                double mi = m[i] * beta1 + (1 - beta1) * gi;
                double vi = v[i] * beta2 + (1 - beta2) * gi * gi;
                m[i] = (float) mi;
                v[i] = (float) vi;
                double vv = vi;
                if (vmax != null) {
                    vv = Math.max(vmax[i], vi);
                    vmax[i] = (float) vv;
                }
                p[i] = (float) (pi - stepSize * mi / (Math.sqrt(vv) / bias2Sqrt + eps));
            }
        });
    }
}
