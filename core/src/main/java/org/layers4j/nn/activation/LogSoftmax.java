package org.layers4j.nn.activation;

import org.layers4j.spi.Backend;

/** PyTorch's {@code nn.LogSoftmax(dim)}: x - max - log(sum(exp(x - max))) along {@code dim}. */
public final class LogSoftmax extends Softmax {
    public LogSoftmax(int dim) {
        this(dim, null);
    }

    public LogSoftmax(int dim, Backend backend) {
        super(dim, backend, true);
    }
}
