package org.layers4j.nn.conv;

import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.Conv1d}: a 1-D convolution over a batch of sequences [N, C, L] (or one sequence [C, L]), with stride,
 * padding (including 'same' and 'valid'), dilation, groups, optional bias and the four padding modes.
 * Create one with {@link #builder}, e.g. {@code Conv1d.builder(6, 5, 3).stride(2).padding(1).build()}.
 */
public final class Conv1d extends Convolution {

    private Conv1d(ConvSpec spec, Backend backend, long seed) {
        super(spec, backend, seed);
    }

    /**
     * A builder with PyTorch's defaults.
     *
     * @param kernelSize one size for every dimension, or one per dimension
     */
    public static ConvBuilder<Conv1d> builder(int inChannels, int outChannels, int... kernelSize) {
        return new ConvBuilder<>(1, Conv1d::new, inChannels, outChannels, kernelSize);
    }
}
