package org.layers4j.nn.pool;

/**
 * PyTorch's {@code nn.AvgPool1d}: average pooling over [N, C, L] (or one unbatched sample).
 * E.g. {@code new AvgPool1d(2)} or {@code new AvgPool1d(PoolOptions.of(3).stride(2).padding(1))}; see {@link PoolOptions}.
 */
public final class AvgPool1d extends Pooling {
    /** kernel_size (stride defaults to it) on the default backend. */
    public AvgPool1d(int... kernelSize) {
        this(PoolOptions.of(kernelSize));
    }

    public AvgPool1d(PoolOptions options) {
        super(1, false, options);
    }
}
