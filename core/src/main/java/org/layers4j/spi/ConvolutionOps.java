package org.layers4j.spi;

import org.layers4j.Tensor;

/**
 * Convolutions on a plain 2-D {@link ConvGeometry} (core turns 1-D, 'same' and the non-zero padding
 * modes into this case), and the bias that convolutions and Linear add over dimension 1.
 */
public interface ConvolutionOps {
    /** y[N,K,OH,OW] = conv(x[N,C,H,W], w[K,C/groups,KH,KW]) with the geometry's zero padding. */
    void forward(ConvGeometry g, Tensor x, Tensor w, Tensor y);

    /**
     * y = conv(x, w) + bias[K] broadcast over batch and space (bias null: {@link #forward(ConvGeometry, Tensor,
     * Tensor, Tensor)}). Backends that add the bias while they store the convolution's outputs override this; the
     * default runs the two passes. Either way the result equals forward followed by {@link #biasAdd}.
     */
    default void forward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y) {
        forward(g, x, w, y);
        if (bias != null) {
            requireBias(bias, g.k());
            biasAdd(y, bias);
        }
    }

    /** Checks that a convolution's bias has shape [k]. */
    static void requireBias(Tensor bias, int k) {
        if (bias.shape().rank() != 1 || bias.shape().dim(0) != k) {
            throw new IllegalArgumentException("the convolution's bias must have shape [" + k + "] (one value per"
                    + " output channel), but got " + bias.shape().dimsString());
        }
    }

    /** dx[N,C,H,W] = gradient of the convolution with respect to its input. */
    void backwardData(ConvGeometry g, Tensor dy, Tensor w, Tensor dx);

    /** dw[K,C/groups,KH,KW] = gradient of the convolution with respect to its weight. */
    void backwardFilter(ConvGeometry g, Tensor x, Tensor dy, Tensor dw);

    /** y[N,K,...] += bias[K] broadcast over batch and the dimensions after K, in place (y of rank >= 2). */
    void biasAdd(Tensor y, Tensor bias);

    /** db[K] = sum of dy[N,K,...] over batch and the dimensions after K (dy of rank >= 2). */
    void biasGradient(Tensor dy, Tensor db);
}
