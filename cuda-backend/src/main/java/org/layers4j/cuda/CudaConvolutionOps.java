package org.layers4j.cuda;

import static org.layers4j.cuda.CudnnBackend.ONE;
import static org.layers4j.cuda.CudnnBackend.ZERO;

import jcuda.Pointer;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnTensorDescriptor;
import org.layers4j.Tensor;
import org.layers4j.cuda.AlgoKey.Direction;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.ConvolutionOps;

/**
 * Convolutions through {@link Convolutions} (cuDNN's three passes with the cached algorithm choice) and
 * the bias: {@code cudnnAddTensor} with a [1, K, 1, 1] bias, {@code cudnnConvolutionBackwardBias}.
 */
final class CudaConvolutionOps implements ConvolutionOps {
    private final CudnnBackend b;

    CudaConvolutionOps(CudnnBackend backend) {
        this.b = backend;
    }

    @Override
    public void forward(ConvGeometry g, Tensor x, Tensor w, Tensor y) {
        Pointer px = b.pointer(x);
        Pointer pw = b.pointer(w);
        Pointer py = b.pointer(y);
        b.run(ctx -> b.convolutions().run(ctx, Direction.FORWARD, g, px, pw, py));
    }

    @Override
    public void backwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx) {
        Pointer pdy = b.pointer(dy);
        Pointer pw = b.pointer(w);
        Pointer pdx = b.pointer(dx);
        b.run(ctx -> b.convolutions().run(ctx, Direction.BACKWARD_DATA, g, pdy, pw, pdx));
    }

    @Override
    public void backwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw) {
        Pointer px = b.pointer(x);
        Pointer pdy = b.pointer(dy);
        Pointer pdw = b.pointer(dw);
        b.run(ctx -> b.convolutions().run(ctx, Direction.BACKWARD_FILTER, g, px, pdy, pdw));
    }

    @Override
    public void biasAdd(Tensor y, Tensor bias) {
        if (y.shape().size() == 0) {
            return;
        }
        TensorLayout yl = TensorLayout.nchw(y.shape());
        cudnnTensorDescriptor yd = b.descriptors().tensor(yl);
        cudnnTensorDescriptor bd = b.descriptors().tensor(TensorLayout.contiguous(1, yl.dim(1), 1, 1));
        Pointer py = b.pointer(y);
        Pointer pb = b.pointer(bias);
        b.exec(ctx -> CudaFailure.cudnn(JCudnn.cudnnAddTensor(ctx.handle, ONE, bd, pb, ONE, yd, py),
                "cudnnAddTensor (bias)"));
    }

    @Override
    public void biasGradient(Tensor dy, Tensor db) {
        if (dy.shape().size() == 0) {
            // nothing to sum: db is all zeros
            zero(db);
            return;
        }
        TensorLayout yl = TensorLayout.nchw(dy.shape());
        cudnnTensorDescriptor yd = b.descriptors().tensor(yl);
        cudnnTensorDescriptor bd = b.descriptors().tensor(TensorLayout.contiguous(1, yl.dim(1), 1, 1));
        Pointer pdy = b.pointer(dy);
        Pointer pdb = b.pointer(db);
        b.exec(ctx -> CudaFailure.cudnn(JCudnn.cudnnConvolutionBackwardBias(ctx.handle, ONE, yd, pdy, ZERO, bd, pdb),
                "cudnnConvolutionBackwardBias"));
    }

    private void zero(Tensor t) {
        long bytes = (long) t.shape().size() * t.dtype().bytes();
        if (bytes > 0) {
            Pointer p = b.pointer(t);
            b.exec(ctx -> CudaFailure.cuda(jcuda.runtime.JCuda.cudaMemsetAsync(p, 0, bytes, ctx.stream),
                    "cudaMemsetAsync"));
        }
    }
}
