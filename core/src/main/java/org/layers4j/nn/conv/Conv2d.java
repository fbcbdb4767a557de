package org.layers4j.nn.conv;

import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.Conv2d}: a 2-D convolution over a batch of images [N, C, H, W] (or one image [C, H, W]), with stride,
 * padding (including 'same' and 'valid'), dilation, groups, optional bias and the four padding modes.
 * Create one with {@link #builder}, e.g. {@code Conv2d.builder(4, 8, 3).stride(2).padding(1).groups(2).paddingMode(PaddingMode.REFLECT).build()}.
 */
public final class Conv2d extends Convolution {

    private Conv2d(ConvSpec spec, Backend backend, long seed) {
        super(spec, backend, seed);
    }

    /**
     * A builder with PyTorch's defaults.
     *
     * @param kernelSize one size for every dimension, or one per dimension
     */
    public static ConvBuilder<Conv2d> builder(int inChannels, int outChannels, int... kernelSize) {
        return new ConvBuilder<>(2, Conv2d::new, inChannels, outChannels, kernelSize);
    }
}
