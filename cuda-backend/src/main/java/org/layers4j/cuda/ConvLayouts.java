package org.layers4j.cuda;

import org.layers4j.spi.ConvGeometry;

/**
 * Everything the cuDNN descriptors of one convolution hold, computed in Java from a
 * {@link ConvGeometry}: input, output and bias tensor layouts, filter dims, padding, stride,
 * dilation, group count and math type. Kept apart from the native descriptors so that tests on any
 * machine can check what is passed to cuDNN, and tests with real cuDNN can check cuDNN accepts it.
 * Conv1d arrives as height 1 and stays 2-D here.
 */
public record ConvLayouts(TensorLayout x, int[] filterDims, TensorLayout y, TensorLayout bias,
                          int[] pad, int[] stride, int[] dilation, int groups, int mathType) {

    public static ConvLayouts of(ConvGeometry g, int mathType) {
        return new ConvLayouts(
                TensorLayout.contiguous(g.n(), g.c(), g.h(), g.w()),
                new int[] {g.k(), g.cPerGroup(), g.kh(), g.kw()},
                TensorLayout.contiguous(g.n(), g.k(), g.outH(), g.outW()),
                TensorLayout.contiguous(1, g.k(), 1, 1),
                new int[] {g.padH(), g.padW()},
                new int[] {g.strideH(), g.strideW()},
                new int[] {g.dilationH(), g.dilationW()},
                g.groups(), mathType);
    }

    @Override
    public int[] filterDims() {
        return filterDims.clone();
    }

    @Override
    public int[] pad() {
        return pad.clone();
    }

    @Override
    public int[] stride() {
        return stride.clone();
    }

    @Override
    public int[] dilation() {
        return dilation.clone();
    }
}
