package org.layers4j.nn.pool;

import org.layers4j.spi.Backend;

/** PyTorch's {@code nn.AdaptiveAvgPool1d(output_size)} over [N, C, L] or [C, L]. */
public final class AdaptiveAvgPool1d extends AdaptivePooling {
    public AdaptiveAvgPool1d(int outputSize) {
        this(outputSize, null);
    }

    public AdaptiveAvgPool1d(int outputSize, Backend backend) {
        super(1, false, new Integer[] {outputSize}, backend);
    }
}
