/**
 * Operations on tensors that are not modules, as {@code torch} and {@code torch.nn.functional} offer
 * them, with PyTorch's names, broadcasting and messages, each recorded on the current
 * {@link org.layers4j.nn.Tape}: {@link org.layers4j.nn.functional.Arithmetic} (broadcasting add / sub /
 * mul / div, sum, mean), {@link org.layers4j.nn.functional.Activations}, {@link org.layers4j.nn.functional.Shapes}
 * (cat, chunk, split, slicing, views), {@link org.layers4j.nn.functional.Resampling} (interpolate),
 * {@link org.layers4j.nn.functional.Padding}, {@link org.layers4j.nn.functional.Normalization} (layer and
 * group norm) and {@link org.layers4j.nn.functional.Regularization} (dropout, stochastic depth).
 */
package org.layers4j.nn.functional;
