package org.layers4j.nn.conv;

import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.ConvTranspose2d}: the transposed 2-D convolution (the gradient of Conv2d with respect to its
 * input) over [N, C, H, W] (or one image [C, H, W]), with stride, padding, output_padding, groups, optional bias and dilation.
 * Create one with {@link #builder}, e.g. {@code ConvTranspose2d.builder(16, 8, 3).stride(2).padding(1).outputPadding(1).build()}.
 */
public final class ConvTranspose2d extends ConvTranspose {

    private ConvTranspose2d(ConvTransposeSpec spec, Backend backend, long seed) {
        super(spec, backend, seed);
    }

    /**
     * A builder with PyTorch's defaults.
     *
     * @param kernelSize one size for every dimension, or one per dimension
     */
    public static ConvTransposeBuilder<ConvTranspose2d> builder(int inChannels, int outChannels, int... kernelSize) {
        return new ConvTransposeBuilder<>(2, ConvTranspose2d::new, inChannels, outChannels, kernelSize);
    }
}
