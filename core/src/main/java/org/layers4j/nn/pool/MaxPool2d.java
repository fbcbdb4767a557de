package org.layers4j.nn.pool;

/**
 * PyTorch's {@code nn.MaxPool2d}: max pooling over [N, C, H, W] (or one unbatched sample); a NaN in a window wins, padding never does, and the gradient goes to the first maximum.
 * E.g. {@code new MaxPool2d(2)} or {@code new MaxPool2d(PoolOptions.of(3).stride(2).padding(1))}; see {@link PoolOptions}.
 */
public final class MaxPool2d extends Pooling {
    /** kernel_size (stride defaults to it) on the default backend. */
    public MaxPool2d(int... kernelSize) {
        this(PoolOptions.of(kernelSize));
    }

    public MaxPool2d(PoolOptions options) {
        super(2, true, options);
    }
}
