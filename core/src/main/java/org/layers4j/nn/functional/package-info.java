/**
 * Operations as functions, PyTorch's {@code torch.nn.functional} (and torchvision's ops): each records itself on
 * the current {@link org.layers4j.nn.Tape}; tensors passed where PyTorch passes parameters (a weight, a bias)
 * are recorded as inputs, so their gradients come back through {@link org.layers4j.nn.Gradients#of}.
 */
package org.layers4j.nn.functional;
