package org.layers4j.spi;

import org.layers4j.Tensor;

/**
 * Element-wise activations and softmax, PyTorch's formulas. Element-wise ones work on tensors of any
 * shape (x and y of equal shape); softmax works along the middle axis of x viewed as
 * [outer, size, inner].
 */
public interface ActivationOps {
    /** y = max(x, 0); NaN propagates. */
    void relu(Tensor x, Tensor y);

    /**
     * dx = dy where x is not {@code <= 0} (positive or NaN), else 0: PyTorch's threshold_backward, so the
     * gradient at exactly 0 is 0 and NaN passes dy through.
     */
    void reluBackward(Tensor x, Tensor dy, Tensor dx);

    /** y = x > 0 ? x : x * slope (NaN propagates). */
    void leakyRelu(double slope, Tensor x, Tensor y);

    /** dx = x > 0 ? dy : dy * slope. */
    void leakyReluBackward(double slope, Tensor x, Tensor dy, Tensor dx);

    /** y = 1 / (1 + exp(-x)). */
    void sigmoid(Tensor x, Tensor y);

    /** dx = dy * y * (1 - y), from the forward's output y. */
    void sigmoidBackward(Tensor y, Tensor dy, Tensor dx);

    /** y = tanh(x). */
    void tanh(Tensor x, Tensor y);

    /** dx = dy * (1 - y * y), from the forward's output y. */
    void tanhBackward(Tensor y, Tensor dy, Tensor dx);

    /**
     * y = softmax (or, with {@code log}, log_softmax) of x along the middle axis of [outer, size, inner],
     * computed with the axis maximum subtracted first.
     */
    void softmax(boolean log, int outer, int size, int inner, Tensor x, Tensor y);

    /**
     * dx from the forward's output y: softmax dx = y * (dy - sum(dy * y)); log_softmax
     * dx = dy - exp(y) * sum(dy), the sums along the axis.
     */
    void softmaxBackward(boolean log, int outer, int size, int inner, Tensor y, Tensor dy, Tensor dx);
}
