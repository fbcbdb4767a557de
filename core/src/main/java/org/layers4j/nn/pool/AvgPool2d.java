package org.layers4j.nn.pool;

/**
 * PyTorch's {@code nn.AvgPool2d}: average pooling over [N, C, H, W] (or one unbatched sample).
 * E.g. {@code new AvgPool2d(2)} or {@code new AvgPool2d(PoolOptions.of(3).stride(2).padding(1))}; see {@link PoolOptions}.
 */
public final class AvgPool2d extends Pooling {
    /** kernel_size (stride defaults to it) on the default backend. */
    public AvgPool2d(int... kernelSize) {
        this(PoolOptions.of(kernelSize));
    }

    public AvgPool2d(PoolOptions options) {
        super(2, false, options);
    }
}
