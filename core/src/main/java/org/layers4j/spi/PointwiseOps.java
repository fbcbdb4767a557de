package org.layers4j.spi;

import org.layers4j.Tensor;

/**
 * Broadcasting and scalar arithmetic, the element-wise activations beyond {@link ActivationOps}, and sums
 * along an axis (the reductions broadcasting's backward and {@code mean} / {@code sum} need). Float32
 * tensors, contiguous and row-major; core has checked every shape before a call and makes none with an
 * empty tensor. Arithmetic is IEEE float32 per element (NaN and infinities propagate); the scalar and
 * alpha arguments are rounded to float32 first, as PyTorch does for a float32 tensor.
 */
public interface PointwiseOps {
    /**
     * out[i] = a[ia] op b[ib] for every output index i of {@code layout.dims()} (out has that many elements),
     * with ia and ib the operands' offsets through {@code layout}'s strides (0 strides broadcast):
     * ADD a + alpha * b, SUB a - alpha * b, MUL a * b, DIV a / b; {@code alpha} is used by ADD and SUB only
     * (for alpha 1 the result is exactly a + b / a - b).
     */
    void binary(BinaryOp op, double alpha, Broadcast layout, Tensor a, Tensor b, Tensor out);

    /**
     * y = x op s, or with {@code scalarFirst} y = s op x (rsub s - x, rdiv s / x), element-wise on tensors
     * of equal size; {@code op} is ADD, SUB, MUL or DIV with alpha 1.
     */
    void scalar(BinaryOp op, Tensor x, double s, boolean scalarFirst, Tensor y);

    /**
     * y[o][i] = sum over s of x[o][s][i], x viewed as [outer, size, inner] and y as [outer, inner]; each sum
     * accumulated in double and rounded to float32 once (a NaN or infinity among the terms propagates).
     */
    void sumAxis(int outer, int size, int inner, Tensor x, Tensor y);

    /** y = f(x) element-wise for the activation {@code op} (see {@link UnaryOp.Kind} for the formulas). */
    void unary(UnaryOp op, Tensor x, Tensor y);

    /** dx = dy * f'(x) element-wise from the forward's input x, PyTorch's backward formula for {@code op}. */
    void unaryBackward(UnaryOp op, Tensor x, Tensor dy, Tensor dx);
}
