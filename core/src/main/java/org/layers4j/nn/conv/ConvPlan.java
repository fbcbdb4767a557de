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
 * @param output4d    the output seen as [n, k, outH, outW]
 * @param taps        null, or the kernel taps the geometry keeps, {hFrom, hTo, wFrom, wTo} (exclusive ends):
 *                    the others only ever meet zero padding, and the full kernel's reach would not fit
 *                    32-bit indices; the geometry's kernel is that slice of the weight
 * @param biasOnly    every tap only ever meets zero padding: the output is the bias, and no kernel runs
 *                    ({@code geometry} is then a placeholder)
 */
public record ConvPlan(ConvGeometry geometry, PaddingPlan padding, Shape input4d, Shape outputShape, Shape output4d,
                       int[] taps, boolean biasOnly) {

    /** A plan with the full kernel. */
    public ConvPlan(ConvGeometry geometry, PaddingPlan padding, Shape input4d, Shape outputShape) {
        this(geometry, padding, input4d, outputShape,
                Shape.of(geometry.n(), geometry.k(), geometry.outH(), geometry.outW()), null, false);
    }

    /** The input of the plain convolution: the padded input when a pad runs first. */
    public Shape convInput4d() {
        return padding == null ? input4d : padding.paddedShape(input4d);
    }
}
