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

    /**
     * y = act(conv(x, w) + bias + residual), the {@link ConvEpilogue} applied after the bias (bias null: none). Backends
     * that apply it while they store the convolution's outputs override this; the default computes the convolution
     * with its bias into a temporary and runs {@link ConvEpilogue#applyUnfused} (the element-wise families of
     * y's backend). Either way the result equals the separate ops, element by element.
     */
    default void forward(ConvGeometry g, Tensor x, Tensor w, Tensor bias, ConvEpilogue epilogue, Tensor y) {
        if (epilogue == null || epilogue.isNone()) {
            forward(g, x, w, bias, y);
            return;
        }
        epilogue.check(y.shape());
        Tensor conv = y.backend().allocate(y.shape());
        try {
            forward(g, x, w, bias, conv);
            epilogue.applyUnfused(conv, y);
        } finally {
            conv.close();
        }
    }

    /**
     * Whether {@link #forward(ConvGeometry, Tensor, Tensor, Tensor, Tensor, ConvEpilogue, Tensor)} with a channel scale
     * runs for this geometry (a squeeze-excitation's multiply read with the input, never stored). The default: no.
     */
    default boolean scalesInput(ConvGeometry g) {
        return false;
    }

    /**
     * y = act(conv(x * scale, w) + bias + residual): x[N,C,H,W] multiplied by scale[N,C] (one value per image and input
     * channel, any shape of N * C values such as [N, C, 1, 1]) as the convolution reads it, each product rounded as
     * the element-wise multiply rounds it, so the result equals that multiply followed by
     * {@link #forward(ConvGeometry, Tensor, Tensor, Tensor, ConvEpilogue, Tensor)}, bit for bit. Only where
     * {@link #scalesInput} says so; the default throws {@link UnsupportedOperationException}.
     */
    default void forward(ConvGeometry g, Tensor x, Tensor scale, Tensor w, Tensor bias, ConvEpilogue epilogue,
                         Tensor y) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not scale a convolution's input"
                + " (scalesInput is false)");
    }

    /**
     * The weight w [k, c/groups, kh, kw] of a convolution with {@code groups} groups, prepared for many forward calls
     * (an eval-mode compiled model's): a tensor of w's shape that {@link #forward} accepts as its weight, that
     * holds w's values now, and that nobody writes afterwards. Backends that rearrange weights for every call (the
     * CPU packs them into GEMM panels) do it once here. It may share w's memory (so that the weights are not held
     * twice): the caller must not write w while the result is in use. The default is a new handle on w itself.
     */
    default Tensor prepareWeights(Tensor w, int groups) {
        return w.share();
    }

    /**
     * Says that the handles on {@code prepared} (a {@link #prepareWeights} result) are now the only ones on the
     * weight's values: a backend that keeps a rearranged form of them may build it now and free the plain values (the
     * CPU packs its GEMM panels and lets the values go, unpacking them again should a path read them). Results and
     * values are unchanged; the default does nothing.
     */
    default void compactPrepared(Tensor prepared) {
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
