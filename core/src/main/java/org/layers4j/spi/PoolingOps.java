package org.layers4j.spi;

import org.layers4j.Tensor;

/**
 * Max and average pooling over [n, c, h, w] tensors (1-D as height 1), fixed windows
 * ({@link PoolGeometry}) and adaptive ones. Adaptive output cell i of an axis of size in -> out covers
 * [floor(i * in / out), ceil((i + 1) * in / out)), PyTorch's rule.
 *
 * <p>Max pooling follows PyTorch: padded cells never win; a NaN in a window wins (the output is NaN; of
 * several NaNs the last in window order, as PyTorch's {@code val > max || isnan(val)} loop);
 * among equal maxima the first in row-major window order wins, and backward sends the gradient to that
 * one element only (accumulating where windows overlap).
 */
public interface PoolingOps {
    void maxForward(PoolGeometry g, Tensor x, Tensor y);

    /** dx = gradient of max pooling, given its input x, output y and dy. */
    void maxBackward(PoolGeometry g, Tensor x, Tensor y, Tensor dy, Tensor dx);

    void avgForward(PoolGeometry g, Tensor x, Tensor y);

    void avgBackward(PoolGeometry g, Tensor dy, Tensor dx);

    /** y[n, c, outH, outW] = adaptive average pooling of x[n, c, h, w]. */
    void adaptiveAvgForward(Tensor x, Tensor y);

    void adaptiveAvgBackward(Tensor dy, Tensor dx);

    /** y[n, c, outH, outW] = adaptive max pooling of x[n, c, h, w] (max rules as above). */
    void adaptiveMaxForward(Tensor x, Tensor y);

    void adaptiveMaxBackward(Tensor x, Tensor y, Tensor dy, Tensor dx);
}
