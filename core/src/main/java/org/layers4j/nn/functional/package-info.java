/**
 * Functional operations as in {@code torch} / {@code torch.nn.functional}: shape and copy ops
 * ({@link org.layers4j.nn.functional.Shapes}), interpolation ({@link org.layers4j.nn.functional.Resampling})
 * and padding ({@link org.layers4j.nn.functional.Padding}). Each validates its arguments with PyTorch's
 * messages and records itself on the current {@link org.layers4j.nn.Tape}.
 */
package org.layers4j.nn.functional;
