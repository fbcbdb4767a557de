package org.layers4j.nn.pool;

import org.layers4j.spi.Backend;

/**
 * The arguments of MaxPool1d/2d and AvgPool1d/2d with PyTorch's names and defaults: stride = kernel_size,
 * padding 0, dilation 1 (max pooling only), ceil_mode false, count_include_pad true and
 * divisor_override none (average pooling only; AvgPool1d has no divisor_override). Each takes one int
 * for every dimension or one per dimension, e.g. {@code new MaxPool2d(PoolOptions.of(3).stride(2).padding(1))}.
 * Validated when the layer is built.
 */
public final class PoolOptions {
    int[] kernel;
    int[] stride;
    int[] padding = {0};
    int[] dilation = {1};
    boolean ceilMode;
    boolean countIncludePad = true;
    Integer divisorOverride;
    Backend backend;
    boolean dilationSet;

    private PoolOptions(int[] kernel) {
        this.kernel = kernel == null ? null : kernel.clone();
    }

    /** Options with this kernel_size and PyTorch's defaults for the rest. */
    public static PoolOptions of(int... kernelSize) {
        return new PoolOptions(kernelSize);
    }

    /** The stride; null or empty (PyTorch's None) means kernel_size. */
    public PoolOptions stride(int... stride) {
        this.stride = stride == null || stride.length == 0 ? null : stride.clone();
        return this;
    }

    public PoolOptions padding(int... padding) {
        this.padding = padding == null ? null : padding.clone();
        return this;
    }

    public PoolOptions dilation(int... dilation) {
        this.dilation = dilation == null ? null : dilation.clone();
        this.dilationSet = true;
        return this;
    }

    public PoolOptions ceilMode(boolean ceilMode) {
        this.ceilMode = ceilMode;
        return this;
    }

    public PoolOptions countIncludePad(boolean countIncludePad) {
        this.countIncludePad = countIncludePad;
        return this;
    }

    /** divisor_override; null means none. */
    public PoolOptions divisorOverride(Integer divisorOverride) {
        this.divisorOverride = divisorOverride;
        return this;
    }

    /** The backend (default: {@code Backends.defaultBackend()}). */
    public PoolOptions backend(Backend backend) {
        this.backend = backend;
        return this;
    }
}
