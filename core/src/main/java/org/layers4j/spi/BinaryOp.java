package org.layers4j.spi;

/**
 * The float32 arithmetic of {@link PointwiseOps#binary} and {@link PointwiseOps#scalar}, each element
 * computed as IEEE float32 arithmetic does (NaN and infinities propagate).
 */
public enum BinaryOp {
    /** a + alpha * b (alpha 1: a + b). */
    ADD,
    /** a - alpha * b (alpha 1: a - b). */
    SUB,
    /** a * b. */
    MUL,
    /** a / b (true division: x / 0 is ±inf, 0 / 0 NaN). */
    DIV
}
