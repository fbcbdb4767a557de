package org.layers4j.spi;

/**
 * Broadcasting and scalar arithmetic, the element-wise activations beyond {@link ActivationOps}, and sums
 * along an axis (the reductions broadcasting's backward and {@code mean} / {@code sum} need).
 * (Filled in by the pointwise work.)
 */
public interface PointwiseOps {
}
