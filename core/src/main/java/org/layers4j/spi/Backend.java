package org.layers4j.spi;

import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;

/**
 * The contract every compute backend implements: memory (allocate / upload / download) plus one
 * small interface per op family. Core has already validated every argument (shapes, dtypes, backends
 * of the tensors, geometry, index ranges) before any method here or in a family runs, and has
 * normalized each op to its plain case (convolution: 2-D with symmetric zero padding; pooling: 2-D;
 * batch norm: [n, c, s]). Tensors are contiguous and row-major, float32 unless a method says INT64.
 * Methods write their output tensor in full (they never accumulate into it unless they say so) and
 * must be safe to call from many threads at once. Callers keep every tensor argument reachable until
 * the call returns (core's layers do, with reachability fences), since an unreachable tensor's memory
 * may be released by its Cleaner.
 */
public interface Backend extends AutoCloseable {
    /** Name as used in configuration, e.g. {@code cpu} or {@code cuda:0}. */
    String name();

    /** A new tensor of zeros of the given element type. */
    Tensor allocate(Shape shape, DType dtype);

    /** A new float32 tensor of zeros. */
    default Tensor allocate(Shape shape) {
        return allocate(shape, DType.FLOAT32);
    }

    /** A new float32 tensor holding a copy of {@code data} ({@code data.length == shape.size()}). */
    Tensor upload(float[] data, Shape shape);

    /**
     * A new float32 tensor over {@code data} ({@code data.length == shape.size()}), which the caller gives up: it
     * must neither read nor write the array afterwards. A backend in host memory takes the array itself instead of
     * a copy (so a model's weights read from a file are held once); the default uploads a copy.
     */
    default Tensor adopt(float[] data, Shape shape) {
        return upload(data, shape);
    }

    /** A new INT64 tensor holding a copy of {@code data} ({@code data.length == shape.size()}). */
    Tensor upload(long[] data, Shape shape);

    /** A host copy of a float32 tensor's values. */
    float[] download(Tensor tensor);

    /** A host copy of an INT64 tensor's values. */
    long[] downloadLongs(Tensor tensor);

    ConvolutionOps convolution();

    PoolingOps pooling();

    NormalizationOps normalization();

    BlasOps blas();

    ActivationOps activation();

    ElementwiseOps elementwise();

    LayoutOps layout();

    OptimizerOps optimizer();

    /**
     * Broadcasting arithmetic, scalar arithmetic, the element-wise activations beyond {@link ActivationOps}
     * and sums along an axis. The default says that this backend does not have the family (never a silent
     * fallback).
     */
    default PointwiseOps pointwise() {
        throw Unsupported.family(name(), "pointwise (broadcasting add / sub / mul / div, SiLU, Hardswish, GELU, ...)");
    }

    /** Interpolation (nearest, bilinear) forward and backward; the default says this backend lacks it. */
    default ResampleOps resample() {
        throw Unsupported.family(name(), "resample (interpolate / Upsample)");
    }

    /**
     * The bytes held by this backend's tensors now and at their peak (see {@link MemoryStats}); the
     * default says that this backend does not track them ({@link MemoryStats#tracked()} false).
     */
    default MemoryStats memory() {
        return MemoryStats.untracked();
    }

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
