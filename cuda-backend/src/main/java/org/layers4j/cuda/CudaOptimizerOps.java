package org.layers4j.cuda;

import jcuda.Pointer;
import org.layers4j.Tensor;
import org.layers4j.spi.OptimizerOps;

/**
 * torch.optim's updates on the device: one kernel launch per parameter ({@code sgd_step},
 * {@code adam_step} in kernels.cu), double-precision arithmetic per element, state tensors kept next to
 * the parameters; nothing crosses to the host.
 */
final class CudaOptimizerOps implements OptimizerOps {
    private final CudnnBackend b;

    CudaOptimizerOps(CudnnBackend b) {
        this.b = b;
    }

    @Override
    public void sgd(Tensor param, Tensor grad, Tensor momentumBuffer, boolean first, double lr, double momentum,
                    double dampening, double weightDecay, boolean nesterov, boolean maximize) {
        long n = param.shape().size();
        Pointer p = b.pointer(param);
        Pointer g = b.pointer(grad);
        Pointer buf = b.pointerOrNull(momentumBuffer);
        b.exec(ctx -> b.kernels().launch(ctx, "sgd_step", n, p, g, buf, n, first ? 1 : 0, lr, momentum, dampening,
                weightDecay, nesterov ? 1 : 0, maximize ? 1 : 0));
    }

    @Override
    public void adam(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor maxExpAvgSq, long step,
                     double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled,
                     boolean amsgrad, boolean maximize) {
        long n = param.shape().size();
        Pointer p = b.pointer(param);
        Pointer g = b.pointer(grad);
        Pointer m = b.pointer(expAvg);
        Pointer v = b.pointer(expAvgSq);
        Pointer vmax = b.pointerOrNull(maxExpAvgSq);
        double stepSize = lr / (1 - Math.pow(beta1, step));
        double bias2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        b.exec(ctx -> b.kernels().launch(ctx, "adam_step", n, p, g, m, v, vmax, n, lr, beta1, beta2, eps, weightDecay,
                decoupled ? 1 : 0, maximize ? 1 : 0, stepSize, bias2Sqrt));
    }
}
