package org.layers4j.nn.pool;

import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.AdaptiveMaxPool2d(output_size)} over [N, C, H, W] or [C, H, W]: max over adaptive windows.
 * {@code new AdaptiveMaxPool2d(1)}, {@code new AdaptiveMaxPool2d(3, 2)}, or with null for "the input's size" (PyTorch's None).
 */
public final class AdaptiveMaxPool2d extends AdaptivePooling {
    /** One size for both dimensions, or (height, width); null keeps the input's size. */
    public AdaptiveMaxPool2d(Integer... outputSize) {
        this(null, outputSize);
    }

    public AdaptiveMaxPool2d(Backend backend, Integer... outputSize) {
        super(2, true, outputSize, backend);
    }
}
