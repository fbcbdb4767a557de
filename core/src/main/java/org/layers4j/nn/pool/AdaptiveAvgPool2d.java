package org.layers4j.nn.pool;

import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.AdaptiveAvgPool2d(output_size)} over [N, C, H, W] or [C, H, W]: average over adaptive windows.
 * {@code new AdaptiveAvgPool2d(1)}, {@code new AdaptiveAvgPool2d(3, 2)}, or with null for "the input's size" (PyTorch's None).
 */
public final class AdaptiveAvgPool2d extends AdaptivePooling {
    /** One size for both dimensions, or (height, width); null keeps the input's size. */
    public AdaptiveAvgPool2d(Integer... outputSize) {
        this(null, outputSize);
    }

    public AdaptiveAvgPool2d(Backend backend, Integer... outputSize) {
        super(2, false, outputSize, backend);
    }
}
