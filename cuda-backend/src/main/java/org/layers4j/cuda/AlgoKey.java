package org.layers4j.cuda;

import org.layers4j.spi.ConvGeometry;

/**
 * The key of the algorithm cache: every parameter that can change which cuDNN algorithm is valid
 * or fastest — the device, the direction, the geometry (shapes, stride, padding, dilation, groups),
 * the math type, determinism and the workspace limit. Two layers with equal keys share one ranking.
 */
public record AlgoKey(int device, Direction direction, ConvGeometry geometry, int mathType, boolean deterministic,
                      long workspaceLimitBytes, boolean benchmark) {

    /** Which of the three convolution passes. */
    public enum Direction { FORWARD, BACKWARD_DATA, BACKWARD_FILTER }
}
