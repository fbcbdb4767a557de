package org.layers4j.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnActivationDescriptor;
import jcuda.jcudnn.cudnnConvolutionDescriptor;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnOpTensorDescriptor;
import jcuda.jcudnn.cudnnPoolingDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;
import org.layers4j.spi.ConvGeometry;

/**
 * The native cuDNN descriptors of one backend, each created once and reused by every call and
 * thread (cuDNN only reads a descriptor during a call): tensor descriptors per {@link TensorLayout},
 * and per convolution geometry the input / filter / output / bias / convolution descriptor set.
 * The static {@code create...} methods need only libcudnn, not a GPU or a handle, which is what
 * the real-cuDNN tests in CI exercise.
 */
final class Descriptors implements AutoCloseable {
    /** cudnnDataType_t CUDNN_DATA_FLOAT. */
    static final int FLOAT = 0;
    /** cudnnTensorFormat_t CUDNN_TENSOR_NCHW. */
    static final int NCHW = 0;
    /** cudnnConvolutionMode_t CUDNN_CROSS_CORRELATION: what PyTorch calls convolution. */
    static final int CROSS_CORRELATION = 1;
    /** cudnnActivationMode_t CUDNN_ACTIVATION_RELU. */
    static final int RELU = 1;
    /** cudnnNanPropagation_t CUDNN_PROPAGATE_NAN: max(NaN, 0) is NaN, as in PyTorch. */
    static final int PROPAGATE_NAN = 1;
    /** cudnnNanPropagation_t CUDNN_NOT_PROPAGATE_NAN: min(NaN, b) is b. */
    static final int NOT_PROPAGATE_NAN = 0;
    /** cudnnOpTensorOp_t CUDNN_OP_TENSOR_ADD / _MUL / _MIN. */
    static final int OP_TENSOR_ADD = 0;
    static final int OP_TENSOR_MUL = 1;
    static final int OP_TENSOR_MIN = 2;
    /** cudnnActivationMode_t CUDNN_ACTIVATION_SIGMOID / _TANH. */
    static final int SIGMOID = 0;
    static final int TANH = 2;
    /** cudnnPoolingMode_t: MAX, AVERAGE_COUNT_INCLUDE_PADDING, AVERAGE_COUNT_EXCLUDE_PADDING, MAX_DETERMINISTIC. */
    static final int POOL_MAX = 0;
    static final int POOL_AVG_INCLUDE_PAD = 1;
    static final int POOL_AVG_EXCLUDE_PAD = 2;
    static final int POOL_MAX_DETERMINISTIC = 3;
    /** cudnnBatchNormMode_t CUDNN_BATCHNORM_SPATIAL: statistics per channel over N and the spatial dims. */
    static final int BN_SPATIAL = 1;
    /** cudnnSoftmaxAlgorithm_t CUDNN_SOFTMAX_ACCURATE (max subtracted first) / CUDNN_SOFTMAX_LOG. */
    static final int SOFTMAX_ACCURATE = 1;
    static final int SOFTMAX_LOG = 2;
    /** cudnnSoftmaxMode_t CUDNN_SOFTMAX_MODE_CHANNEL: over dim 1 of [outer, size, inner, 1]. */
    static final int SOFTMAX_MODE_CHANNEL = 1;

    /** One 2-D pooling window (cuDNN's pooling descriptor has no dilation and symmetric padding only). */
    record Pool(int mode, int kh, int kw, int padH, int padW, int strideH, int strideW) {
    }

    /** The descriptors of one convolution geometry. */
    record Conv(ConvLayouts layouts, cudnnTensorDescriptor x, cudnnFilterDescriptor w, cudnnTensorDescriptor y,
                cudnnTensorDescriptor bias, cudnnConvolutionDescriptor conv) {
    }

    private final int mathType;
    private final Map<TensorLayout, cudnnTensorDescriptor> tensors = new ConcurrentHashMap<>();
    private final Map<ConvGeometry, Conv> convs = new ConcurrentHashMap<>();
    private final List<cudnnFilterDescriptor> filters = new ArrayList<>();
    private final List<cudnnConvolutionDescriptor> convDescs = new ArrayList<>();
    private final Map<Pool, cudnnPoolingDescriptor> pools = new ConcurrentHashMap<>();
    private final cudnnActivationDescriptor relu;
    private final cudnnActivationDescriptor sigmoid;
    private final cudnnActivationDescriptor tanh;
    private final cudnnOpTensorDescriptor minIgnoringNan;
    private final cudnnOpTensorDescriptor add;
    private final cudnnOpTensorDescriptor mul;

    Descriptors(int mathType) {
        this.mathType = mathType;
        this.relu = createRelu();
        this.sigmoid = createActivation(SIGMOID, PROPAGATE_NAN);
        this.tanh = createActivation(TANH, PROPAGATE_NAN);
        this.minIgnoringNan = createMinIgnoringNan();
        this.add = createOpTensor(OP_TENSOR_ADD, PROPAGATE_NAN);
        this.mul = createOpTensor(OP_TENSOR_MUL, PROPAGATE_NAN);
    }

    cudnnActivationDescriptor sigmoid() {
        return sigmoid;
    }

    cudnnActivationDescriptor tanh() {
        return tanh;
    }

    cudnnOpTensorDescriptor add() {
        return add;
    }

    cudnnOpTensorDescriptor mul() {
        return mul;
    }

    /** The pooling descriptor of a window, created on first use. */
    cudnnPoolingDescriptor pooling(Pool p) {
        return pools.computeIfAbsent(p, Descriptors::createPooling);
    }

    static cudnnPoolingDescriptor createPooling(Pool p) {
        cudnnPoolingDescriptor d = new cudnnPoolingDescriptor();
        CudaFailure.cudnn(JCudnn.cudnnCreatePoolingDescriptor(d), "cudnnCreatePoolingDescriptor");
        int s = JCudnn.cudnnSetPoolingNdDescriptor(d, p.mode(), PROPAGATE_NAN, 2, new int[] {p.kh(), p.kw()},
                new int[] {p.padH(), p.padW()}, new int[] {p.strideH(), p.strideW()});
        if (s != 0) {
            JCudnn.cudnnDestroyPoolingDescriptor(d);
            CudaFailure.cudnn(s, "cudnnSetPoolingNdDescriptor(" + p + ")");
        }
        return d;
    }

    /** cuDNN's own pooling output shape for an input layout: what the routing in CudaPoolingOps must agree with. */
    static int[] poolingOutputDims(cudnnPoolingDescriptor pool, cudnnTensorDescriptor x) {
        int[] out = new int[4];
        CudaFailure.cudnn(JCudnn.cudnnGetPoolingNdForwardOutputDim(pool, x, 4, out),
                "cudnnGetPoolingNdForwardOutputDim");
        return out;
    }

    static cudnnActivationDescriptor createActivation(int mode, int nan) {
        cudnnActivationDescriptor d = new cudnnActivationDescriptor();
        CudaFailure.cudnn(JCudnn.cudnnCreateActivationDescriptor(d), "cudnnCreateActivationDescriptor");
        int s = JCudnn.cudnnSetActivationDescriptor(d, mode, nan, 0.0);
        if (s != 0) {
            JCudnn.cudnnDestroyActivationDescriptor(d);
            CudaFailure.cudnn(s, "cudnnSetActivationDescriptor(" + mode + ")");
        }
        return d;
    }

    static cudnnOpTensorDescriptor createOpTensor(int op, int nan) {
        cudnnOpTensorDescriptor d = new cudnnOpTensorDescriptor();
        CudaFailure.cudnn(JCudnn.cudnnCreateOpTensorDescriptor(d), "cudnnCreateOpTensorDescriptor");
        int s = JCudnn.cudnnSetOpTensorDescriptor(d, op, FLOAT, nan);
        if (s != 0) {
            JCudnn.cudnnDestroyOpTensorDescriptor(d);
            CudaFailure.cudnn(s, "cudnnSetOpTensorDescriptor(" + op + ")");
        }
        return d;
    }

    /** The tensor descriptor of a layout, created on first use. */
    cudnnTensorDescriptor tensor(TensorLayout layout) {
        return tensors.computeIfAbsent(layout, Descriptors::createTensor);
    }

    /** The descriptor set of a convolution geometry, created on first use. */
    Conv conv(ConvGeometry g) {
        return convs.computeIfAbsent(g, this::createConv);
    }

    cudnnActivationDescriptor relu() {
        return relu;
    }

    /** min(a, b) where a NaN operand yields the other one: maps NaN to +inf against a +inf operand. */
    cudnnOpTensorDescriptor minIgnoringNan() {
        return minIgnoringNan;
    }

    private Conv createConv(ConvGeometry g) {
        ConvLayouts l = ConvLayouts.of(g, mathType);
        cudnnFilterDescriptor w = createFilter(l.filterDims());
        synchronized (filters) {
            filters.add(w);
        }
        cudnnConvolutionDescriptor c = createConvolution(l);
        synchronized (convDescs) {
            convDescs.add(c);
        }
        return new Conv(l, tensor(l.x()), w, tensor(l.y()), tensor(l.bias()), c);
    }

    static cudnnTensorDescriptor createTensor(TensorLayout layout) {
        cudnnTensorDescriptor d = new cudnnTensorDescriptor();
        CudaFailure.cudnn(JCudnn.cudnnCreateTensorDescriptor(d), "cudnnCreateTensorDescriptor");
        int s = JCudnn.cudnnSetTensorNdDescriptor(d, FLOAT, layout.rank(), layout.dims(), layout.strides());
        if (s != 0) {
            JCudnn.cudnnDestroyTensorDescriptor(d);
            CudaFailure.cudnn(s, "cudnnSetTensorNdDescriptor(" + layout + ")");
        }
        return d;
    }

    static cudnnFilterDescriptor createFilter(int[] dims) {
        cudnnFilterDescriptor d = new cudnnFilterDescriptor();
        CudaFailure.cudnn(JCudnn.cudnnCreateFilterDescriptor(d), "cudnnCreateFilterDescriptor");
        int s = JCudnn.cudnnSetFilterNdDescriptor(d, FLOAT, NCHW, dims.length, dims);
        if (s != 0) {
            JCudnn.cudnnDestroyFilterDescriptor(d);
            CudaFailure.cudnn(s, "cudnnSetFilterNdDescriptor(" + java.util.Arrays.toString(dims) + ")");
        }
        return d;
    }

    /** Padding, stride, dilation, native group count and math type: one descriptor, no loop over groups. */
    static cudnnConvolutionDescriptor createConvolution(ConvLayouts l) {
        cudnnConvolutionDescriptor d = new cudnnConvolutionDescriptor();
        CudaFailure.cudnn(JCudnn.cudnnCreateConvolutionDescriptor(d), "cudnnCreateConvolutionDescriptor");
        try {
            CudaFailure.cudnn(JCudnn.cudnnSetConvolutionNdDescriptor(d, 2, l.pad(), l.stride(), l.dilation(),
                    CROSS_CORRELATION, FLOAT), "cudnnSetConvolutionNdDescriptor");
            CudaFailure.cudnn(JCudnn.cudnnSetConvolutionGroupCount(d, l.groups()),
                    "cudnnSetConvolutionGroupCount(" + l.groups() + ")");
            CudaFailure.cudnn(JCudnn.cudnnSetConvolutionMathType(d, l.mathType()),
                    "cudnnSetConvolutionMathType(" + l.mathType() + ")");
        } catch (RuntimeException e) {
            JCudnn.cudnnDestroyConvolutionDescriptor(d);
            throw e;
        }
        return d;
    }

    /** cuDNN's own output shape for a convolution: what core's arithmetic must agree with. */
    static int[] outputDims(cudnnConvolutionDescriptor conv, cudnnTensorDescriptor x, cudnnFilterDescriptor w) {
        int[] out = new int[4];
        CudaFailure.cudnn(JCudnn.cudnnGetConvolutionNdForwardOutputDim(conv, x, w, 4, out),
                "cudnnGetConvolutionNdForwardOutputDim");
        return out;
    }

    static cudnnActivationDescriptor createRelu() {
        return createActivation(RELU, PROPAGATE_NAN);
    }

    static cudnnOpTensorDescriptor createMinIgnoringNan() {
        return createOpTensor(OP_TENSOR_MIN, NOT_PROPAGATE_NAN);
    }

    /** How many tensor descriptors exist (reuse means this stops growing). */
    int tensorCount() {
        return tensors.size();
    }

    int convCount() {
        return convs.size();
    }

    @Override
    public void close() {
        int status = 0;
        for (cudnnTensorDescriptor d : tensors.values()) {
            status = firstError(status, JCudnn.cudnnDestroyTensorDescriptor(d));
        }
        tensors.clear();
        synchronized (filters) {
            for (cudnnFilterDescriptor d : filters) {
                status = firstError(status, JCudnn.cudnnDestroyFilterDescriptor(d));
            }
            filters.clear();
        }
        synchronized (convDescs) {
            for (cudnnConvolutionDescriptor d : convDescs) {
                status = firstError(status, JCudnn.cudnnDestroyConvolutionDescriptor(d));
            }
            convDescs.clear();
        }
        convs.clear();
        for (cudnnPoolingDescriptor d : pools.values()) {
            status = firstError(status, JCudnn.cudnnDestroyPoolingDescriptor(d));
        }
        pools.clear();
        for (cudnnActivationDescriptor d : new cudnnActivationDescriptor[] {relu, sigmoid, tanh}) {
            status = firstError(status, JCudnn.cudnnDestroyActivationDescriptor(d));
        }
        for (cudnnOpTensorDescriptor d : new cudnnOpTensorDescriptor[] {minIgnoringNan, add, mul}) {
            status = firstError(status, JCudnn.cudnnDestroyOpTensorDescriptor(d));
        }
        CudaFailure.cudnn(status, "destroying cuDNN descriptors");
    }

    private static int firstError(int sofar, int status) {
        return sofar != 0 ? sofar : status;
    }
}
