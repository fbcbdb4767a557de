/**
 * Functional operations on tensors, as in {@code torch} / {@code torch.nn.functional}: broadcasting and
 * scalar arithmetic and the sum / mean reductions ({@link org.layers4j.nn.functional.Arithmetic}), and the
 * element-wise activations ({@link org.layers4j.nn.functional.Activations}). Each validates its arguments
 * with PyTorch's messages, computes on the tensors' backend and records itself on the current
 * {@link org.layers4j.nn.Tape} with its gradient to every tensor operand.
 */
package org.layers4j.nn.functional;
