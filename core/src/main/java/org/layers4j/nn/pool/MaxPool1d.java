package org.layers4j.nn.pool;

/**
 * PyTorch's {@code nn.MaxPool1d}: max pooling over [N, C, L] (or one unbatched sample); a NaN in a window wins, padding never does, and the gradient goes to the first maximum.
 * E.g. {@code new MaxPool1d(2)} or {@code new MaxPool1d(PoolOptions.of(3).stride(2).padding(1))}; see {@link PoolOptions}.
 */
public final class MaxPool1d extends Pooling {
    /** kernel_size (stride defaults to it) on the default backend. */
    public MaxPool1d(int... kernelSize) {
        this(PoolOptions.of(kernelSize));
    }

    public MaxPool1d(PoolOptions options) {
        super(1, true, options);
    }
}
