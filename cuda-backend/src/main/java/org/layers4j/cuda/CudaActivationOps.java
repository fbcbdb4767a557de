package org.layers4j.cuda;

import static org.layers4j.cuda.CudnnBackend.ONE;
import static org.layers4j.cuda.CudnnBackend.ZERO;

import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnActivationDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;
import org.layers4j.Tensor;
import org.layers4j.spi.ActivationOps;

/**
 * Activations: ReLU, sigmoid and tanh through {@code cudnnActivationForward/Backward} (NaN propagated);
 * the ReLU gradient's NaN rule through a {@code cudnnOpTensor} mask (see {@link #reluBackward}); leaky
 * ReLU through the backend's own kernels (cuDNN has no leaky ReLU); softmax and log-softmax through
 * {@code cudnnSoftmaxForward/Backward} (ACCURATE or LOG, CHANNEL mode over [outer, size, inner, 1]).
 */
final class CudaActivationOps implements ActivationOps {
    private final CudnnBackend b;

    CudaActivationOps(CudnnBackend backend) {
        this.b = backend;
    }

    private cudnnTensorDescriptor flat(Tensor t) {
        return b.descriptors().tensor(TensorLayout.nchw(t.shape()));
    }

    @Override
    public void relu(Tensor x, Tensor y) {
        forward(b.descriptors().relu(), "ReLU", x, y);
    }

    /**
     * PyTorch's ReLU gradient passes dy wherever x is not <= 0, NaN included; cuDNN's passes it only
     * where its y operand is > 0. So y is built as m = min(x, +inf) with NaN not propagated — m is x,
     * except NaN becomes +inf — and m serves as both x and y of cudnnActivationBackward: the gradient is
     * dy where x > 0 or x is NaN, and 0 at exactly ±0, as in PyTorch and the CPU backend.
     */
    @Override
    public void reluBackward(Tensor x, Tensor dy, Tensor dx) {
        if (x.shape().size() == 0) {
            return;
        }
        cudnnTensorDescriptor d = flat(x);
        cudnnTensorDescriptor scalar = b.descriptors().tensor(TensorLayout.contiguous(1, 1, 1, 1));
        Pointer px = b.pointer(x);
        Pointer pdy = b.pointer(dy);
        Pointer pdx = b.pointer(dx);
        long bytes = (long) x.shape().size() * Sizeof.FLOAT;
        b.exec(ctx -> {
            Pointer m = ctx.scratch(bytes).pointer;
            CudaFailure.cudnn(JCudnn.cudnnOpTensor(ctx.handle, b.descriptors().minIgnoringNan(), ONE, d, px, ONE, scalar,
                    b.positiveInfinity(), ZERO, d, m), "cudnnOpTensor (ReLU gradient mask)");
            CudaFailure.cudnn(JCudnn.cudnnActivationBackward(ctx.handle, b.descriptors().relu(), ONE, d, m, d, pdy, d, m,
                    ZERO, d, pdx), "cudnnActivationBackward (ReLU)");
        });
    }

    @Override
    public void leakyRelu(double slope, Tensor x, Tensor y) {
        long n = x.shape().size();
        Pointer px = b.pointer(x);
        Pointer py = b.pointer(y);
        b.exec(ctx -> b.kernels().launch(ctx, "leaky_relu_fwd", n, px, py, n, (float) slope));
    }

    @Override
    public void leakyReluBackward(double slope, Tensor x, Tensor dy, Tensor dx) {
        long n = x.shape().size();
        Pointer px = b.pointer(x);
        Pointer pdy = b.pointer(dy);
        Pointer pdx = b.pointer(dx);
        b.exec(ctx -> b.kernels().launch(ctx, "leaky_relu_bwd", n, px, pdy, pdx, n, (float) slope));
    }

    @Override
    public void sigmoid(Tensor x, Tensor y) {
        forward(b.descriptors().sigmoid(), "sigmoid", x, y);
    }

    @Override
    public void sigmoidBackward(Tensor y, Tensor dy, Tensor dx) {
        backwardFromOutput(b.descriptors().sigmoid(), "sigmoid", y, dy, dx);
    }

    @Override
    public void tanh(Tensor x, Tensor y) {
        forward(b.descriptors().tanh(), "tanh", x, y);
    }

    @Override
    public void tanhBackward(Tensor y, Tensor dy, Tensor dx) {
        backwardFromOutput(b.descriptors().tanh(), "tanh", y, dy, dx);
    }

    private void forward(cudnnActivationDescriptor act, String what, Tensor x, Tensor y) {
        if (x.shape().size() == 0) {
            return;
        }
        cudnnTensorDescriptor d = flat(x);
        Pointer px = b.pointer(x);
        Pointer py = b.pointer(y);
        b.exec(ctx -> CudaFailure.cudnn(JCudnn.cudnnActivationForward(ctx.handle, act, ONE, d, px, ZERO, d, py),
                "cudnnActivationForward (" + what + ")"));
    }

    /** Sigmoid and tanh gradients need only y (dy * y * (1 - y), dy * (1 - y^2)); y also stands in for x. */
    private void backwardFromOutput(cudnnActivationDescriptor act, String what, Tensor y, Tensor dy, Tensor dx) {
        if (y.shape().size() == 0) {
            return;
        }
        cudnnTensorDescriptor d = flat(y);
        Pointer py = b.pointer(y);
        Pointer pdy = b.pointer(dy);
        Pointer pdx = b.pointer(dx);
        b.exec(ctx -> CudaFailure.cudnn(JCudnn.cudnnActivationBackward(ctx.handle, act, ONE, d, py, d, pdy, d, py, ZERO,
                d, pdx), "cudnnActivationBackward (" + what + ")"));
    }

    /** The [outer, size, inner, 1] layout softmax runs on in CHANNEL mode. */
    static TensorLayout softmaxLayout(int outer, int size, int inner) {
        return TensorLayout.contiguous(outer, size, inner, 1);
    }

    @Override
    public void softmax(boolean log, int outer, int size, int inner, Tensor x, Tensor y) {
        if ((long) outer * size * inner == 0) {
            return;
        }
        cudnnTensorDescriptor d = b.descriptors().tensor(softmaxLayout(outer, size, inner));
        Pointer px = b.pointer(x);
        Pointer py = b.pointer(y);
        int algo = log ? Descriptors.SOFTMAX_LOG : Descriptors.SOFTMAX_ACCURATE;
        b.exec(ctx -> CudaFailure.cudnn(JCudnn.cudnnSoftmaxForward(ctx.handle, algo, Descriptors.SOFTMAX_MODE_CHANNEL,
                ONE, d, px, ZERO, d, py), "cudnnSoftmaxForward"));
    }

    @Override
    public void softmaxBackward(boolean log, int outer, int size, int inner, Tensor y, Tensor dy, Tensor dx) {
        if ((long) outer * size * inner == 0) {
            return;
        }
        cudnnTensorDescriptor d = b.descriptors().tensor(softmaxLayout(outer, size, inner));
        Pointer py = b.pointer(y);
        Pointer pdy = b.pointer(dy);
        Pointer pdx = b.pointer(dx);
        int algo = log ? Descriptors.SOFTMAX_LOG : Descriptors.SOFTMAX_ACCURATE;
        b.exec(ctx -> CudaFailure.cudnn(JCudnn.cudnnSoftmaxBackward(ctx.handle, algo, Descriptors.SOFTMAX_MODE_CHANNEL,
                ONE, d, py, d, pdy, ZERO, d, pdx), "cudnnSoftmaxBackward"));
    }
}
