package org.layers4j.spi;

import org.layers4j.Shape;
import org.layers4j.Tensor;

/**
 * The narrow contract every compute backend implements. Core has already validated every argument
 * (shapes, backends of the tensors, geometry) before any method here runs, and has normalized every
 * convolution to the plain 2-D case: 1-D arrives as height 1, 'same' and non-zero padding modes
 * arrive as an explicit {@link #pad} followed by a convolution with symmetric zero padding.
 * All tensors are float32, contiguous, row-major. Methods write their output tensor in full
 * (they never accumulate into it) and must be safe to call from many threads at once. Callers keep
 * every tensor argument reachable until the call returns (core's layers do, with reachability
 * fences), since an unreachable tensor's memory may be released by its Cleaner.
 */
public interface Backend extends AutoCloseable {
    /** Name as used in configuration, e.g. {@code cpu} or {@code cuda:0}. */
    String name();

    /** A new tensor of zeros. */
    Tensor allocate(Shape shape);

    /** A new tensor holding a copy of {@code data} ({@code data.length == shape.size()}). */
    Tensor upload(float[] data, Shape shape);

    /** A host copy of the tensor's values. */
    float[] download(Tensor tensor);

    /** y[N,K,OH,OW] = conv(x[N,C,H,W], w[K,C/groups,KH,KW]) with the geometry's zero padding. */
    void convolutionForward(ConvGeometry g, Tensor x, Tensor w, Tensor y);

    /** dx[N,C,H,W] = gradient of the convolution with respect to its input. */
    void convolutionBackwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx);

    /** dw[K,C/groups,KH,KW] = gradient of the convolution with respect to its weight. */
    void convolutionBackwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw);

    /** y[N,K,...] += bias[K] broadcast over batch and space, in place. */
    void biasAdd(Tensor y, Tensor bias);

    /** db[K] = sum of dy[N,K,...] over batch and space. */
    void biasGradient(Tensor dy, Tensor db);

    /** y = max(x, 0); NaN propagates. */
    void reluForward(Tensor x, Tensor y);

    /**
     * dx = dy where x is not <= 0 (positive or NaN), else 0: PyTorch's threshold_backward, so the
     * gradient at exactly 0 is 0 and NaN passes dy through.
     */
    void reluBackward(Tensor x, Tensor dy, Tensor dx);

    /** padded[N,C,H+top+bottom,W+left+right] = x[N,C,H,W] padded as the plan says. */
    void pad(PaddingPlan plan, Tensor x, Tensor padded);

    /** dx[N,C,H,W] = the padded gradient folded back: every padded element added to its source. */
    void padBackward(PaddingPlan plan, Tensor dPadded, Tensor dx);

    /**
     * Waits until the work the calling thread has queued is done. Backends that compute
     * asynchronously (CUDA streams) override it; benchmarks call it before stopping the clock.
     */
    default void synchronize() {
    }

    /** Frees what the backend holds (pools, handles, threads). Tensors must not be used afterwards. */
    @Override
    void close();
}
