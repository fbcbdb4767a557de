package org.layers4j.nn.conv;

import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.ConvTranspose1d}: the transposed 1-D convolution (the gradient of Conv1d with respect to its
 * input) over [N, C, L] (or one sequence [C, L]), with stride, padding, output_padding, groups, optional bias and dilation.
 * Create one with {@link #builder}, e.g. {@code ConvTranspose1d.builder(6, 4, 4).stride(2).padding(1).build()}.
 */
public final class ConvTranspose1d extends ConvTranspose {

    private ConvTranspose1d(ConvTransposeSpec spec, Backend backend, long seed) {
        super(spec, backend, seed);
    }

    /**
     * A builder with PyTorch's defaults.
     *
     * @param kernelSize one size for every dimension, or one per dimension
     */
    public static ConvTransposeBuilder<ConvTranspose1d> builder(int inChannels, int outChannels, int... kernelSize) {
        return new ConvTransposeBuilder<>(1, ConvTranspose1d::new, inChannels, outChannels, kernelSize);
    }
}
