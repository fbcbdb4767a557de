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
    /** cudnnOpTensorOp_t CUDNN_OP_TENSOR_MIN. */
    static final int OP_TENSOR_MIN = 2;

    /** The descriptors of one convolution geometry. */
    record Conv(ConvLayouts layouts, cudnnTensorDescriptor x, cudnnFilterDescriptor w, cudnnTensorDescriptor y,
                cudnnTensorDescriptor bias, cudnnConvolutionDescriptor conv) {
    }

    private final int mathType;
    private final Map<TensorLayout, cudnnTensorDescriptor> tensors = new ConcurrentHashMap<>();
    private final Map<ConvGeometry, Conv> convs = new ConcurrentHashMap<>();
    private final List<cudnnFilterDescriptor> filters = new ArrayList<>();
    private final List<cudnnConvolutionDescriptor> convDescs = new ArrayList<>();
    private final cudnnActivationDescriptor relu;
    private final cudnnOpTensorDescriptor minIgnoringNan;

    Descriptors(int mathType) {
        this.mathType = mathType;
        this.relu = createRelu();
        this.minIgnoringNan = createMinIgnoringNan();
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
        int s = JCudnn.cudnnSetTensorNdDescriptor(d, FLOAT, 4, layout.dims(), layout.strides());
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
        cudnnActivationDescriptor d = new cudnnActivationDescriptor();
        CudaFailure.cudnn(JCudnn.cudnnCreateActivationDescriptor(d), "cudnnCreateActivationDescriptor");
        int s = JCudnn.cudnnSetActivationDescriptor(d, RELU, PROPAGATE_NAN, 0.0);
        if (s != 0) {
            JCudnn.cudnnDestroyActivationDescriptor(d);
            CudaFailure.cudnn(s, "cudnnSetActivationDescriptor(RELU)");
        }
        return d;
    }

    static cudnnOpTensorDescriptor createMinIgnoringNan() {
        cudnnOpTensorDescriptor d = new cudnnOpTensorDescriptor();
        CudaFailure.cudnn(JCudnn.cudnnCreateOpTensorDescriptor(d), "cudnnCreateOpTensorDescriptor");
        int s = JCudnn.cudnnSetOpTensorDescriptor(d, OP_TENSOR_MIN, FLOAT, NOT_PROPAGATE_NAN);
        if (s != 0) {
            JCudnn.cudnnDestroyOpTensorDescriptor(d);
            CudaFailure.cudnn(s, "cudnnSetOpTensorDescriptor(MIN, NOT_PROPAGATE_NAN)");
        }
        return d;
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
        status = firstError(status, JCudnn.cudnnDestroyActivationDescriptor(relu));
        status = firstError(status, JCudnn.cudnnDestroyOpTensorDescriptor(minIgnoringNan));
        CudaFailure.cudnn(status, "destroying cuDNN descriptors");
    }

    private static int firstError(int sofar, int status) {
        return sofar != 0 ? sofar : status;
    }
}
