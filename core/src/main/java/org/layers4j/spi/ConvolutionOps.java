package org.layers4j.spi;

import org.layers4j.Tensor;

/**
 * Convolutions on a plain 2-D {@link ConvGeometry} (core turns 1-D, 'same' and the non-zero padding
 * modes into this case), and the bias that convolutions and Linear add over dimension 1.
 */
public interface ConvolutionOps {
    /** y[N,K,OH,OW] = conv(x[N,C,H,W], w[K,C/groups,KH,KW]) with the geometry's zero padding. */
    void forward(ConvGeometry g, Tensor x, Tensor w, Tensor y);

    /** dx[N,C,H,W] = gradient of the convolution with respect to its input. */
    void backwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx);

    /** dw[K,C/groups,KH,KW] = gradient of the convolution with respect to its weight. */
    void backwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw);

    /** y[N,K,...] += bias[K] broadcast over batch and the dimensions after K, in place (y of rank >= 2). */
    void biasAdd(Tensor y, Tensor bias);

    /** db[K] = sum of dy[N,K,...] over batch and the dimensions after K (dy of rank >= 2). */
    void biasGradient(Tensor dy, Tensor db);
}
