package org.layers4j.cuda;

import static org.layers4j.cuda.CudnnBackend.ONE;
import static org.layers4j.cuda.CudnnBackend.ZERO;

import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnTensorDescriptor;
import jcuda.runtime.JCuda;
import org.layers4j.Tensor;
import org.layers4j.spi.NormalizationOps;

/**
 * Batch normalization in cuDNN's spatial mode over x seen as [n, c, s, 1], parameters [1, c, 1, 1]
 * (what {@code cudnnDeriveBNTensorDescriptor} derives; the CI test checks it). affine=False runs with a
 * scale of ones and a shift of zeros in scratch. Inference and training forward, and training backward,
 * are cuDNN's own calls ({@code exponentialAverageFactor} = factor; cuDNN's running variance is the
 * unbiased one, its saved inverse variance is 1 / sqrt(var + eps): the contract). The inference-mode
 * backward has no cuDNN call; it is composed: dx = {@code cudnnBatchNormalizationForwardInference} of dy
 * with mean 0 and shift 0 (= dy * weight / sqrt(var + eps)); dWeight = per-channel sum
 * ({@code cudnnConvolutionBackwardBias}) of dy * x̂ ({@code cudnnOpTensor} MUL), x̂ from a forward
 * inference with scale 1; dBias = per-channel sum of dy.
 */
final class CudaNormalizationOps implements NormalizationOps {
    /**
     * cuDNN 9's CUDNN_BN_MIN_EPSILON is 0; cuDNN 7 and older had 1e-5. Any eps > 0 is accepted, and the
     * training backward (which reads the saved statistics, so eps is unused) passes this one.
     */
    static final double BACKWARD_EPS = 1e-5;

    private final CudnnBackend b;

    CudaNormalizationOps(CudnnBackend backend) {
        this.b = backend;
    }

    /** x [n, c, ...] as cuDNN's [n, c, s, 1]. */
    static TensorLayout dataLayout(Tensor x) {
        int[] d = x.shape().dims();
        int n = d[0];
        int c = d[1];
        long s = 1;
        for (int i = 2; i < d.length; i++) {
            s *= d[i];
        }
        return TensorLayout.contiguous(n, c, Math.toIntExact(s), 1);
    }

    static TensorLayout paramLayout(int c) {
        return TensorLayout.contiguous(1, c, 1, 1);
    }

    /** A [c] scratch tensor filled with value (the ones / zeros of affine=False and of the composed backward). */
    private static Pointer filled(StreamContext ctx, cudnnTensorDescriptor pd, int c, float value) {
        Pointer p = ctx.scratch((long) c * Sizeof.FLOAT).pointer;
        if (value == 0f) {
            CudaFailure.cuda(JCuda.cudaMemsetAsync(p, 0, (long) c * Sizeof.FLOAT, ctx.stream), "cudaMemsetAsync");
        } else {
            CudaFailure.cudnn(JCudnn.cudnnSetTensor(ctx.handle, pd, p, Pointer.to(new float[] {value})),
                    "cudnnSetTensor (" + value + ")");
        }
        return p;
    }

    @Override
    public void batchNormInference(Tensor x, Tensor mean, Tensor var, Tensor weight, Tensor bias, double eps, Tensor y) {
        if (x.shape().size() == 0) {
            return;
        }
        TensorLayout l = dataLayout(x);
        int c = l.dim(1);
        cudnnTensorDescriptor xd = b.descriptors().tensor(l);
        cudnnTensorDescriptor pd = b.descriptors().tensor(paramLayout(c));
        Pointer px = b.pointer(x);
        Pointer pm = b.pointer(mean);
        Pointer pv = b.pointer(var);
        Pointer pw = b.pointerOrNull(weight);
        Pointer pb = b.pointerOrNull(bias);
        Pointer py = b.pointer(y);
        b.exec(ctx -> {
            Pointer scale = pw != null ? pw : filled(ctx, pd, c, 1f);
            Pointer shift = pb != null ? pb : filled(ctx, pd, c, 0f);
            CudaFailure.cudnn(JCudnn.cudnnBatchNormalizationForwardInference(ctx.handle, Descriptors.BN_SPATIAL, ONE, ZERO,
                    xd, px, xd, py, pd, scale, shift, pm, pv, eps), "cudnnBatchNormalizationForwardInference");
        });
    }

    @Override
    public void batchNormTraining(Tensor x, Tensor weight, Tensor bias, double eps, double factor, Tensor runningMean,
                                  Tensor runningVar, Tensor y, Tensor saveMean, Tensor saveInvStd) {
        TensorLayout l = dataLayout(x);
        int c = l.dim(1);
        cudnnTensorDescriptor xd = b.descriptors().tensor(l);
        cudnnTensorDescriptor pd = b.descriptors().tensor(paramLayout(c));
        Pointer px = b.pointer(x);
        Pointer pw = b.pointerOrNull(weight);
        Pointer pb = b.pointerOrNull(bias);
        // cuDNN takes both running statistics or neither
        Pointer rm = runningMean != null && runningVar != null ? b.pointer(runningMean) : new Pointer();
        Pointer rv = runningMean != null && runningVar != null ? b.pointer(runningVar) : new Pointer();
        if ((runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException("batchNormTraining needs both running statistics or neither");
        }
        Pointer py = b.pointer(y);
        Pointer sm = b.pointer(saveMean);
        Pointer si = b.pointer(saveInvStd);
        b.exec(ctx -> {
            Pointer scale = pw != null ? pw : filled(ctx, pd, c, 1f);
            Pointer shift = pb != null ? pb : filled(ctx, pd, c, 0f);
            CudaFailure.cudnn(JCudnn.cudnnBatchNormalizationForwardTraining(ctx.handle, Descriptors.BN_SPATIAL, ONE, ZERO,
                    xd, px, xd, py, pd, scale, shift, factor, rm, rv, eps, sm, si),
                    "cudnnBatchNormalizationForwardTraining");
        });
    }

    @Override
    public void batchNormTrainingBackward(Tensor x, Tensor dy, Tensor weight, Tensor saveMean, Tensor saveInvStd,
                                          Tensor dx, Tensor dWeight, Tensor dBias) {
        TensorLayout l = dataLayout(x);
        int c = l.dim(1);
        cudnnTensorDescriptor xd = b.descriptors().tensor(l);
        cudnnTensorDescriptor pd = b.descriptors().tensor(paramLayout(c));
        Pointer px = b.pointer(x);
        Pointer pdy = b.pointer(dy);
        Pointer pw = b.pointerOrNull(weight);
        Pointer sm = b.pointer(saveMean);
        Pointer si = b.pointer(saveInvStd);
        Pointer pdx = b.pointerOrNull(dx);
        Pointer pdw = b.pointerOrNull(dWeight);
        Pointer pdb = b.pointerOrNull(dBias);
        long bytes = l.elements() * Sizeof.FLOAT;
        b.exec(ctx -> {
            Pointer scale = pw != null ? pw : filled(ctx, pd, c, 1f);
            // cuDNN always writes all three gradients: scratch for the ones nobody asked for
            Pointer gx = pdx != null ? pdx : ctx.scratch(bytes).pointer;
            Pointer gw = pdw != null ? pdw : ctx.scratch((long) c * Sizeof.FLOAT).pointer;
            Pointer gb = pdb != null ? pdb : ctx.scratch((long) c * Sizeof.FLOAT).pointer;
            CudaFailure.cudnn(JCudnn.cudnnBatchNormalizationBackward(ctx.handle, Descriptors.BN_SPATIAL, ONE, ZERO, ONE,
                    ZERO, xd, px, xd, pdy, xd, gx, pd, scale, gw, gb, BACKWARD_EPS, sm, si),
                    "cudnnBatchNormalizationBackward");
        });
    }

    @Override
    public void batchNormInferenceBackward(Tensor x, Tensor dy, Tensor mean, Tensor var, Tensor weight, double eps,
                                           Tensor dx, Tensor dWeight, Tensor dBias) {
        if (x.shape().size() == 0) {
            return;
        }
        TensorLayout l = dataLayout(x);
        int c = l.dim(1);
        cudnnTensorDescriptor xd = b.descriptors().tensor(l);
        cudnnTensorDescriptor pd = b.descriptors().tensor(paramLayout(c));
        Pointer px = b.pointer(x);
        Pointer pdy = b.pointer(dy);
        Pointer pm = b.pointer(mean);
        Pointer pv = b.pointer(var);
        Pointer pw = b.pointerOrNull(weight);
        Pointer pdx = b.pointerOrNull(dx);
        Pointer pdw = b.pointerOrNull(dWeight);
        Pointer pdb = b.pointerOrNull(dBias);
        long bytes = l.elements() * Sizeof.FLOAT;
        b.exec(ctx -> {
            Pointer zeros = filled(ctx, pd, c, 0f);
            if (pdx != null) {
                // (dy - 0) / sqrt(var + eps) * weight + 0
                Pointer scale = pw != null ? pw : filled(ctx, pd, c, 1f);
                CudaFailure.cudnn(JCudnn.cudnnBatchNormalizationForwardInference(ctx.handle, Descriptors.BN_SPATIAL, ONE,
                        ZERO, xd, pdy, xd, pdx, pd, scale, zeros, zeros, pv, eps),
                        "cudnnBatchNormalizationForwardInference (inference backward dx)");
            }
            if (pdw != null) {
                Pointer xhat = ctx.scratch(bytes).pointer;
                CudaFailure.cudnn(JCudnn.cudnnBatchNormalizationForwardInference(ctx.handle, Descriptors.BN_SPATIAL, ONE,
                        ZERO, xd, px, xd, xhat, pd, filled(ctx, pd, c, 1f), zeros, pm, pv, eps),
                        "cudnnBatchNormalizationForwardInference (x-hat)");
                CudaFailure.cudnn(JCudnn.cudnnOpTensor(ctx.handle, b.descriptors().mul(), ONE, xd, xhat, ONE, xd, pdy, ZERO,
                        xd, xhat), "cudnnOpTensor (dy * x-hat)");
                CudaFailure.cudnn(JCudnn.cudnnConvolutionBackwardBias(ctx.handle, ONE, xd, xhat, ZERO, pd, pdw),
                        "cudnnConvolutionBackwardBias (dWeight)");
            }
            if (pdb != null) {
                CudaFailure.cudnn(JCudnn.cudnnConvolutionBackwardBias(ctx.handle, ONE, xd, pdy, ZERO, pd, pdb),
                        "cudnnConvolutionBackwardBias (dBias)");
            }
        });
    }
}
