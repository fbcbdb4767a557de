package org.layers4j.nn.conv;

import org.layers4j.Shape;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.PaddingPlan;

/**
 * What a convolution layer runs for one input shape: an optional explicit pad (null when the
 * convolution's own symmetric zero padding suffices), then the plain 2-D convolution.
 *
 * @param geometry    the plain convolution, on the padded input when {@code padding} is set
 * @param padding     the explicit pad of the 4-D input, or null
 * @param input4d     the input seen as [n, c, h, w] (1-D as height 1, unbatched as n = 1)
 * @param outputShape the output in the caller's rank (batched or not, 1-D or 2-D)
 */
public record ConvPlan(ConvGeometry geometry, PaddingPlan padding, Shape input4d, Shape outputShape) {

    /** The output seen as [n, k, outH, outW]. */
    public Shape output4d() {
        return Shape.of(geometry.n(), geometry.k(), geometry.outH(), geometry.outW());
    }

    /** The input of the plain convolution: the padded input when a pad runs first. */
    public Shape convInput4d() {
        return padding == null ? input4d : padding.paddedShape(input4d);
    }
}
