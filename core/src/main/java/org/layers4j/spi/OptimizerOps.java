package org.layers4j.spi;

import org.layers4j.Tensor;

/**
 * In-place parameter updates of {@code torch.optim}, element-wise on float32 tensors of one size,
 * with PyTorch 1.13's single-tensor formulas (the comments give them). Core keeps the step count and
 * the hyper-parameters; the backend holds the state tensors next to the parameters, so an update
 * never crosses to the host. Implementations may evaluate each element in double precision before
 * rounding the results to float32.
 */
public interface OptimizerOps {
    /**
     * SGD: {@code d = maximize ? -grad : grad; if (weightDecay != 0) d += weightDecay * param;}
     * with momentum {@code buf = first ? d : momentum * buf + (1 - dampening) * d;
     * d = nesterov ? d + momentum * buf : buf}; then {@code param -= lr * d}. {@code momentumBuffer} is
     * null when momentum is 0.
     */
    void sgd(Tensor param, Tensor grad, Tensor momentumBuffer, boolean first, double lr, double momentum,
             double dampening, double weightDecay, boolean nesterov, boolean maximize);

    /**
     * Adam (and, with {@code decoupled}, AdamW), at step {@code step} >= 1: {@code g = maximize ? -grad : grad};
     * AdamW first {@code param *= 1 - lr * weightDecay}, Adam instead {@code g += weightDecay * param};
     * {@code m = beta1 * m + (1 - beta1) * g; v = beta2 * v + (1 - beta2) * g * g}; with amsgrad
     * {@code vmax = max(vmax, v)} is used for v below; {@code denom = sqrt(v) / sqrt(1 - beta2^step) + eps;
     * param -= lr / (1 - beta1^step) * m / denom}. {@code maxExpAvgSq} is null without amsgrad.
     */
    void adam(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq, long step, double lr,
              double beta1, double beta2, double eps, double weightDecay, boolean decoupled, boolean amsgrad,
              boolean maximize);
}
