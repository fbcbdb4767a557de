package org.layers4j.cuda;

import static org.layers4j.cuda.CudnnBackend.ONE;
import static org.layers4j.cuda.CudnnBackend.ZERO;

import jcuda.Pointer;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnOpTensorDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaMemcpyKind;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.ElementwiseOps;

/**
 * Element-wise arithmetic on the flat element sequence ([1, size, 1, 1], whatever the shapes):
 * {@code cudnnOpTensor} ADD / MUL, {@code cudnnAddTensor} for the in-place accumulation, and
 * {@code cudaMemcpyAsync} device to device for copies (float32 or INT64, bytes as they are).
 */
final class CudaElementwiseOps implements ElementwiseOps {
    private final CudnnBackend b;

    CudaElementwiseOps(CudnnBackend backend) {
        this.b = backend;
    }

    private cudnnTensorDescriptor flat(Tensor t) {
        return b.descriptors().tensor(TensorLayout.nchw(Shape.of(t.shape().size())));
    }

    @Override
    public void add(Tensor a, Tensor x, Tensor out) {
        op(b.descriptors().add(), "ADD", a, x, out);
    }

    @Override
    public void multiply(Tensor a, Tensor x, Tensor out) {
        op(b.descriptors().mul(), "MUL", a, x, out);
    }

    private void op(cudnnOpTensorDescriptor op, String what, Tensor a, Tensor x, Tensor out) {
        if (out.shape().size() == 0) {
            return;
        }
        cudnnTensorDescriptor d = flat(out);
        Pointer pa = b.pointer(a);
        Pointer px = b.pointer(x);
        Pointer po = b.pointer(out);
        b.exec(ctx -> CudaFailure.cudnn(JCudnn.cudnnOpTensor(ctx.handle, op, ONE, d, pa, ONE, d, px, ZERO, d, po),
                "cudnnOpTensor (" + what + ")"));
    }

    @Override
    public void accumulate(Tensor acc, Tensor x) {
        if (acc.shape().size() == 0) {
            return;
        }
        cudnnTensorDescriptor d = flat(acc);
        Pointer pacc = b.pointer(acc);
        Pointer px = b.pointer(x);
        b.exec(ctx -> CudaFailure.cudnn(JCudnn.cudnnAddTensor(ctx.handle, ONE, d, px, ONE, d, pacc),
                "cudnnAddTensor (accumulate)"));
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        long bytes = (long) src.shape().size() * src.dtype().bytes();
        if (bytes == 0) {
            return;
        }
        Pointer ps = b.pointer(src);
        Pointer pd = b.pointer(dst);
        if (ps.equals(pd)) {
            return;
        }
        b.exec(ctx -> CudaFailure.cuda(JCuda.cudaMemcpyAsync(pd, ps, bytes, cudaMemcpyKind.cudaMemcpyDeviceToDevice,
                ctx.stream), "cudaMemcpyAsync device to device"));
    }
}
